// The simulated market: the reference's tokens and starting prices, a random
// walk with per-token volatility and occasional trend changes, 24 h volume and
// change, and market statistics.
import type { MarketStatistics, PriceUpdate } from '../client/market-payloads.js';

export type { MarketStatistics, PriceUpdate };

export interface TokenState {
  tokenId: string;
  price: number;
  openPrice: number;
  volume24h: number;
  supply: number;
  /** Daily volatility, 2% to 12% as in the reference. */
  volatility: number;
  /** Drift per tick, changes now and then. */
  trend: number;
}

export const STARTING_PRICES: Readonly<Record<string, number>> = {
  BTC: 43250,
  ETH: 2580.5,
  ODIN: 0.125,
  SOL: 98.75,
  DOGE: 0.078,
};

export class MarketModel {
  readonly tokens = new Map<string, TokenState>();
  private nonce = 0;

  constructor(
    tokenIds: readonly string[],
    private readonly random: () => number = Math.random,
  ) {
    for (const id of tokenIds) this.addToken(id);
  }

  addToken(tokenId: string): TokenState {
    const existing = this.tokens.get(tokenId);
    if (existing) return existing;
    const price = STARTING_PRICES[tokenId] ?? 1 + this.random() * 99;
    const state: TokenState = {
      tokenId,
      price,
      openPrice: price,
      volume24h: price * (1e5 + this.random() * 1e6),
      supply: 1e6 + this.random() * 1e9,
      volatility: 0.02 + this.random() * 0.1,
      trend: 0,
    };
    this.tokens.set(tokenId, state);
    return state;
  }

  /** Moves one token's price one step and returns its update message. */
  tick(tokenId: string, source = 'odin-simulator'): PriceUpdate {
    const t = this.tokens.get(tokenId) ?? this.addToken(tokenId);
    if (this.random() < 0.01) t.trend = (this.random() - 0.5) * t.volatility * 0.02;
    // A step of the daily volatility scaled to roughly a thousand ticks a day.
    const step = (this.random() - 0.5) * 2 * (t.volatility / Math.sqrt(1000)) + t.trend;
    t.price = Math.max(t.price * (1 + step), 1e-9);
    t.volume24h = Math.max(0, t.volume24h * (1 + (this.random() - 0.5) * 0.01));
    return {
      type: 'price:update',
      tokenId,
      price: round(t.price),
      volume24h: Math.round(t.volume24h),
      marketCap: Math.round(t.price * t.supply),
      priceChange24h: Math.round(((t.price - t.openPrice) / t.openPrice) * 10000) / 100,
      timestamp: Date.now(),
      source,
      nonce: (++this.nonce).toString(36),
    };
  }

  statistics(): MarketStatistics {
    const all = [...this.tokens.values()].map((t) => ({
      tokenId: t.tokenId,
      price: round(t.price),
      marketCap: Math.round(t.price * t.supply),
      priceChange24h: Math.round(((t.price - t.openPrice) / t.openPrice) * 10000) / 100,
      volume24h: t.volume24h,
    }));
    all.sort((a, b) => b.marketCap - a.marketCap);
    return {
      type: 'market:statistics',
      totalMarketCap: all.reduce((s, t) => s + t.marketCap, 0),
      totalVolume24h: Math.round(all.reduce((s, t) => s + t.volume24h, 0)),
      activeTokens: all.length,
      topTokens: all.slice(0, 3).map(({ tokenId, price, marketCap, priceChange24h }) => ({ tokenId, price, marketCap, priceChange24h })),
      timestamp: Date.now(),
    };
  }
}

/** Prices keep 6 significant digits, enough for BTC and for DOGE. */
function round(price: number): number {
  return Number(price.toPrecision(6));
}
