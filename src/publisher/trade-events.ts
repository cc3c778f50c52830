// Simulated per-user trades: a few demo users buy and sell the simulated
// tokens at the current price. Each event goes to the user's private channel
// `trades.user.<id>`, which only that user may read.
import type { TradeEvent } from '@odin-gateway/client';
import type { MarketModel } from './market-model.js';

export type { TradeEvent };

/** The reference charged no fees; 0.1% makes the events look like a real venue's. */
const FEE_RATE = 0.001;

export function tradeChannel(userId: string): string {
  return `trades.user.${userId}`;
}

export class TradeEventGenerator {
  private counter = 0;

  constructor(
    private readonly model: MarketModel,
    private readonly random: () => number = Math.random,
  ) {}

  /** One trade by one of `users` on one of `tokens`; undefined when either list is empty. */
  next(users: readonly string[], tokens: readonly string[]): { channel: string; event: TradeEvent } | undefined {
    if (users.length === 0 || tokens.length === 0) return undefined;
    const userId = users[Math.floor(this.random() * users.length)]!;
    const tokenId = tokens[Math.floor(this.random() * tokens.length)]!;
    const state = this.model.tokens.get(tokenId) ?? this.model.addToken(tokenId);
    const price = Number(state.price.toPrecision(6));
    // Orders worth roughly 50 to 5,000 in quote currency, whatever the token's price.
    const value = 50 * Math.pow(100, this.random());
    const quantity = Number((value / price).toPrecision(6));
    const actualValue = Math.round(quantity * price * 100) / 100;
    const event: TradeEvent = {
      type: 'trade:executed',
      tradeId: `t${Date.now().toString(36)}-${(++this.counter).toString(36)}`,
      userId,
      tokenId,
      side: this.random() < 0.5 ? 'buy' : 'sell',
      quantity,
      price,
      value: actualValue,
      fee: Math.round(actualValue * FEE_RATE * 100) / 100,
      timestamp: Date.now(),
    };
    return { channel: tradeChannel(userId), event };
  }
}
