// Publishes the market model at a given rate through a broker. The rate is
// spread over 20 ms slots with a fractional carry, so 1 msg/s and 50,000 msg/s
// both come out right without a timer per message.
import type { Broker } from '../broker/broker.js';
import { MarketModel } from './market-model.js';

export interface SimulatorOptions {
  tokens: readonly string[];
  messagesPerSecond: number;
  statisticsIntervalMs: number;
}

const SLOT_MS = 20;

export class MarketSimulator {
  readonly model: MarketModel;
  private timer: NodeJS.Timeout | undefined;
  private statsTimer: NodeJS.Timeout | undefined;
  private carry = 0;
  private nextToken = 0;
  private lastSlot = 0;
  published = 0;
  errors = 0;

  constructor(
    private readonly broker: Broker,
    private options: SimulatorOptions,
  ) {
    this.model = new MarketModel(options.tokens);
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  start(): void {
    if (this.timer) return;
    this.lastSlot = performance.now();
    this.timer = setInterval(() => this.slot(), SLOT_MS);
    this.statsTimer = setInterval(() => this.publishStatistics(), this.options.statisticsIntervalMs);
    this.publishStatistics();
  }

  stop(): void {
    clearInterval(this.timer);
    clearInterval(this.statsTimer);
    this.timer = undefined;
    this.statsTimer = undefined;
  }

  private slot(): void {
    const now = performance.now();
    // Catch up on late timers (up to a second) so the rate holds under load.
    const elapsed = Math.min(now - this.lastSlot, 1000);
    this.lastSlot = now;
    this.carry += (this.options.messagesPerSecond * elapsed) / 1000;
    const tokens = this.options.tokens;
    while (this.carry >= 1) {
      this.carry -= 1;
      const tokenId = tokens[this.nextToken++ % tokens.length]!;
      this.send(`token.${tokenId}.price`, this.model.tick(tokenId));
    }
  }

  private publishStatistics(): void {
    this.send('market.statistics', this.model.statistics());
  }

  private send(channel: string, payload: unknown): void {
    this.broker.publish(channel, payload).then(
      () => this.published++,
      () => this.errors++,
    );
  }
}
