// The simulated market: the reference's tokens and starting prices, each with
// a fixed circulating supply (so market caps are plausible) and a daily
// volatility. Prices follow a geometric random walk in time, not in ticks:
// a move over `dt` has a standard deviation of `volatility * sqrt(dt / 1 day)`
// however many updates are published in between, so 20 msg/s and
// 20,000 msg/s show the same market. A small drift changes now and then
// (the reference's "occasional trend changes"), also on a clock.
import type { MarketStatistics, PriceUpdate } from '@odin-gateway/client';

export type { MarketStatistics, PriceUpdate };

export const DAY_MS = 86_400_000;
/** Trend changes arrive at random, on average this often (simulated time). */
export const TREND_CHANGE_MEAN_MS = 4 * 3_600_000;
/** How much the 24 h volume wanders per day (log scale), pulled back toward the token's usual volume. */
const VOLUME_VOLATILITY = 0.3;
const VOLUME_PULL_PER_DAY = 2;

export interface TokenProfile {
  /** Starting price (the reference's). */
  price: number;
  /** Circulating supply, fixed: market cap = price x supply. */
  supply: number;
  /** Standard deviation of the daily log return, 0.02 to 0.12 as in the reference's range. */
  volatility: number;
  /** Usual 24 h trading volume in quote currency. */
  volume24h: number;
}

/** The reference's tokens, with supplies and volumes of the size real markets had at those prices. */
export const TOKEN_PROFILES: Readonly<Record<string, TokenProfile>> = {
  BTC: { price: 43250, supply: 19_600_000, volatility: 0.03, volume24h: 25e9 },
  ETH: { price: 2580.5, supply: 120_200_000, volatility: 0.04, volume24h: 12e9 },
  ODIN: { price: 0.125, supply: 1_000_000_000, volatility: 0.12, volume24h: 5e6 },
  SOL: { price: 98.75, supply: 433_000_000, volatility: 0.06, volume24h: 2e9 },
  DOGE: { price: 0.078, supply: 142_500_000_000, volatility: 0.05, volume24h: 600e6 },
};

/** Any other token: a random price of 1 to 100 and this supply (caps of $100M to $10B). */
const OTHER_SUPPLY = 100_000_000;

export const STARTING_PRICES: Readonly<Record<string, number>> = Object.fromEntries(Object.entries(TOKEN_PROFILES).map(([id, p]) => [id, p.price]));

export interface TokenState {
  tokenId: string;
  price: number;
  /** Price when the current simulated day opened: `priceChange24h` is measured from here. */
  openPrice: number;
  openedAt: number;
  volume24h: number;
  /** The volume the walk is pulled back to. */
  usualVolume24h: number;
  supply: number;
  /** Daily volatility (standard deviation of the daily log return). */
  volatility: number;
  /** Drift of the log price per day; changes now and then. */
  trend: number;
  /** When the price last moved (ms, the model's clock). */
  updatedAt: number;
}

export class MarketModel {
  readonly tokens = new Map<string, TokenState>();
  private nonce = 0;

  /**
   * @param random uniform [0, 1), injectable so tests can pin it
   * @param now the clock moves are scaled by (ms); tests drive a simulated one
   */
  constructor(
    tokenIds: readonly string[],
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {
    for (const id of tokenIds) this.addToken(id);
  }

  addToken(tokenId: string): TokenState {
    const existing = this.tokens.get(tokenId);
    if (existing) return existing;
    const known = TOKEN_PROFILES[tokenId];
    const price = known?.price ?? 1 + this.random() * 99;
    const supply = known?.supply ?? OTHER_SUPPLY;
    const volume = known?.volume24h ?? price * supply * 0.05;
    const at = this.now();
    const state: TokenState = {
      tokenId,
      price,
      openPrice: price,
      openedAt: at,
      volume24h: volume,
      usualVolume24h: volume,
      supply,
      volatility: known?.volatility ?? 0.02 + this.random() * 0.1,
      trend: 0,
      updatedAt: at,
    };
    this.tokens.set(tokenId, state);
    return state;
  }

  /** Moves one token's price by the time since its last move and returns its update message. */
  tick(tokenId: string, source = 'odin-simulator'): PriceUpdate {
    const t = this.tokens.get(tokenId) ?? this.addToken(tokenId);
    const at = this.now();
    this.advance(t, at);
    return {
      type: 'price:update',
      tokenId,
      price: round(t.price),
      volume24h: Math.round(t.volume24h),
      marketCap: Math.round(t.price * t.supply),
      priceChange24h: Math.round(((t.price - t.openPrice) / t.openPrice) * 10000) / 100,
      timestamp: at,
      source,
      nonce: (++this.nonce).toString(36),
    };
  }

  private advance(t: TokenState, at: number): void {
    const dtMs = at - t.updatedAt;
    if (dtMs <= 0) return;
    t.updatedAt = at;
    const days = dtMs / DAY_MS;
    // Trend changes are a Poisson process in time: as likely per hour at any rate.
    if (this.random() < 1 - Math.exp(-dtMs / TREND_CHANGE_MEAN_MS)) t.trend = (this.random() - 0.5) * t.volatility;
    t.price = Math.max(t.price * Math.exp(t.trend * days + t.volatility * Math.sqrt(days) * gaussian(this.random)), 1e-9);
    const pull = -VOLUME_PULL_PER_DAY * Math.log(t.volume24h / t.usualVolume24h) * Math.min(days, 1);
    t.volume24h *= Math.exp(pull + VOLUME_VOLATILITY * Math.sqrt(days) * gaussian(this.random));
    if (at - t.openedAt >= DAY_MS) {
      // A new simulated day: the 24 h change starts again from here.
      t.openPrice = t.price;
      t.openedAt = at;
    }
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
      timestamp: this.now(),
    };
  }
}

/** A standard normal draw (Box-Muller) from a uniform [0, 1) source. */
export function gaussian(random: () => number): number {
  const u = 1 - random(); // (0, 1]: log(0) would be -Infinity
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Prices keep 6 significant digits, enough for BTC and for DOGE. */
function round(price: number): number {
  return Number(price.toPrecision(6));
}
