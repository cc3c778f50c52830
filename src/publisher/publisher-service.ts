// The publisher engine: publishes the simulated market through a broker at a
// requested rate, market statistics on a period, and user trades; measures
// what it actually achieved. Driven by the control API or by `odin dev`.
import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import type { Broker } from '../broker/broker.js';
import { simulationOptionTable } from '../config/publisher-options.js';
import type { Logger } from '../observability/logger.js';
import { createPublisherMetrics, type PublisherMetrics } from '../observability/metrics.js';
import { BookSimulator } from './book-simulator.js';
import { MarketModel } from './market-model.js';
import type { PublisherSettings, SettingsChange } from './publisher-settings.js';
import { RateMeter } from './rate-meter.js';
import { RatePacer } from './rate-pacer.js';
import { TradeEventGenerator } from './trade-events.js';

/** Timer period: coarse enough to be cheap, fine enough that 1 msg/s and 50,000 msg/s are both smooth. */
const SLOT_MS = 20;
/** How often the achieved rate is sampled. */
const METER_SAMPLE_MS = 1000;
/** `close()` waits at most this long for outstanding acknowledgements (retries included). */
const DRAIN_TIMEOUT_MS = 5000;
/** First pause before a retry; doubled per attempt up to RETRY_MAX_DELAY_MS. */
const RETRY_FIRST_DELAY_MS = 100;
const RETRY_MAX_DELAY_MS = 2000;

type Kind = 'price' | 'statistics' | 'trade' | 'book';

/** One message until the broker acknowledges it or the publisher gives up: its msgId never changes. */
interface Outgoing {
  kind: Kind;
  channel: string;
  payload: unknown;
  msgId: string;
  /** performance.now() of the first attempt: retries stop RETRY_WINDOW after it. */
  firstAt: number;
  attempts: number;
}

/** Pause before attempt number `attempt + 1` (exponential, capped). */
export function retryDelayMs(attempt: number): number {
  return Math.min(RETRY_FIRST_DELAY_MS * 2 ** (attempt - 1), RETRY_MAX_DELAY_MS);
}

export interface PublisherStats {
  /** Price updates the broker acknowledged, since the process started. */
  messagesPublished: number;
  /** When the current (or last) run started, ISO 8601; null before the first start. */
  startTime: string | null;
  /** Publish attempts the broker refused or that failed (timed out), all kinds, retried or not. */
  errors: number;
  /** Attempts repeated with the same msgId after a failure (JetStream stores the message once). */
  retries: number;
  /** Messages given up after the retry bound: never acknowledged, possibly never stored. */
  lost: number;
  /** Price updates per second achieved over the last few seconds. */
  actualRate: number;
  /** Price updates per second achieved since the current run started. */
  averageRate: number;
  /** Price updates per second requested. */
  targetRate: number;
  statisticsPublished: number;
  tradeEventsPublished: number;
  /** Order-book messages (snapshots and updates on book.<TOKEN>) the broker acknowledged. */
  bookMessagesPublished: number;
  /** Publishes sent (or waiting to be retried) and not yet acknowledged. */
  inFlight: number;
  /** Mean time from publish to acknowledgement over the last second or so, ms. */
  publishLatencyMs: number;
  /** Seconds the current run has been publishing (0 when stopped). */
  runningSeconds: number;
  lastError: string | null;
}

export interface PublisherDependencies {
  broker: Broker;
  logger: Logger;
  /** Registry for the publisher's metrics; a private one when absent. */
  registry?: Registry;
  /** Prefix of de-duplication ids, unique per publisher instance. */
  instanceId: string;
  random?: () => number;
}

export class PublisherService {
  readonly model: MarketModel;
  readonly metrics: PublisherMetrics;
  private settings: PublisherSettings;
  private readonly broker: Broker;
  private readonly logger: Logger;
  private readonly trades: TradeEventGenerator;
  private readonly pricePacer: RatePacer;
  private readonly tradePacer: RatePacer;
  private readonly bookPacer: RatePacer;
  private readonly books: BookSimulator;
  private readonly meter = new RateMeter();
  private slotTimer: NodeJS.Timeout | undefined;
  private statisticsTimer: NodeJS.Timeout | undefined;
  private nextToken = 0;
  private stopAt = 0;
  private lastSample = 0;
  private runStartedAt: number | undefined;
  private runStartCount = 0;
  private readonly msgIdPrefix: string;
  private msgCounter = 0;
  private inFlight = 0;
  private latencySumMs = 0;
  private latencyCount = 0;
  private lastLatencyMs = 0;
  private lastError: string | null = null;
  private readonly counts = { price: 0, statistics: 0, trade: 0, book: 0, errors: 0, retries: 0, lost: 0 };
  /** Messages waiting for their next attempt, by the timer that will send it. */
  private readonly retrying = new Map<NodeJS.Timeout, Outgoing>();
  private closing = false;

  constructor(deps: PublisherDependencies, settings: PublisherSettings) {
    this.broker = deps.broker;
    this.logger = deps.logger;
    this.settings = { ...settings, tokens: [...settings.tokens], users: [...settings.users] };
    this.metrics = createPublisherMetrics(deps.registry ?? new Registry());
    this.model = new MarketModel(settings.tokens, deps.random);
    this.trades = new TradeEventGenerator(this.model, deps.random);
    this.pricePacer = new RatePacer(settings.messagesPerSecond);
    this.tradePacer = new RatePacer(settings.tradeEventsPerSecond);
    this.bookPacer = new RatePacer(settings.bookMessagesPerSecond ?? 0);
    this.books = new BookSimulator(this.model, deps.random);
    // A gateway whose book differs from ours (a lost publish, a gap) asks for a snapshot: answer it.
    this.broker.onControl((topic, body) => {
      const answer = this.books.snapshotRequested(topic, body);
      if (answer) this.send('book', answer.channel, answer.data);
    });
    // A fresh prefix per process: a restarted publisher must not collide with its old ids.
    this.msgIdPrefix = `${deps.instanceId}-${randomBytes(3).toString('hex')}-`;
    this.metrics.targetRate.set(settings.messagesPerSecond);
    this.metrics.publishing.set(0);
  }

  get isPublishing(): boolean {
    return this.slotTimer !== undefined;
  }

  /** The current settings (a copy). */
  get configuration(): PublisherSettings {
    return { ...this.settings, tokens: [...this.settings.tokens], users: [...this.settings.users] };
  }

  get activeTokens(): string[] {
    return [...this.settings.tokens];
  }

  /** Applies `change`, then starts publishing; false when it was already publishing (the change still applies). */
  start(change: SettingsChange = {}): boolean {
    this.apply(change);
    if (this.slotTimer) return false;
    const now = performance.now();
    this.runStartedAt = Date.now();
    this.runStartCount = this.counts.price;
    this.pricePacer.reset(now);
    this.tradePacer.reset(now, false);
    this.bookPacer.reset(now);
    this.meter.clear();
    this.meter.sample(this.counts.price, now);
    this.lastSample = now;
    this.stopAt = this.settings.duration > 0 ? now + this.settings.duration * 1000 : 0;
    this.slotTimer = setInterval(() => this.slot(), SLOT_MS);
    this.scheduleStatistics();
    this.publishStatistics();
    this.metrics.publishing.set(1);
    this.logger.info({ event: 'publisher_started', ...this.logSettings() }, 'publishing started');
    return true;
  }

  /** Stops publishing; false when it was not publishing. */
  stop(reason = 'requested'): boolean {
    if (!this.slotTimer) return false;
    clearInterval(this.slotTimer);
    clearInterval(this.statisticsTimer);
    this.slotTimer = undefined;
    this.statisticsTimer = undefined;
    this.metrics.publishing.set(0);
    this.metrics.actualRate.set(0);
    this.logger.info({ event: 'publisher_stopped', reason, published: this.counts.price, errors: this.counts.errors }, `publishing stopped (${reason})`);
    return true;
  }

  /** Applies `change` at once: a running publisher switches to the new rate on its next 20 ms slot. */
  configure(change: SettingsChange): void {
    this.apply(change);
    if (this.slotTimer) this.logger.info({ event: 'publisher_configured', ...this.logSettings() }, 'publisher re-timed');
  }

  stats(): PublisherStats {
    const now = Date.now();
    const runningMs = this.slotTimer && this.runStartedAt !== undefined ? now - this.runStartedAt : 0;
    return {
      messagesPublished: this.counts.price,
      startTime: this.runStartedAt !== undefined ? new Date(this.runStartedAt).toISOString() : null,
      errors: this.counts.errors,
      retries: this.counts.retries,
      lost: this.counts.lost,
      actualRate: this.slotTimer ? round1(this.meter.rate()) : 0,
      averageRate: runningMs > 0 ? round1(((this.counts.price - this.runStartCount) * 1000) / runningMs) : 0,
      targetRate: this.settings.messagesPerSecond,
      statisticsPublished: this.counts.statistics,
      tradeEventsPublished: this.counts.trade,
      bookMessagesPublished: this.counts.book,
      inFlight: this.inFlight,
      publishLatencyMs: round3(this.latencyCount > 0 ? this.latencySumMs / this.latencyCount : this.lastLatencyMs),
      runningSeconds: round1(runningMs / 1000),
      lastError: this.lastError,
    };
  }

  /** Stops and waits (bounded) for outstanding acknowledgements and retries; what is still unacknowledged then counts as lost. */
  async close(): Promise<void> {
    this.stop('closing');
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    while (this.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    this.closing = true;
    for (const [timer, out] of this.retrying) {
      clearTimeout(timer);
      this.retrying.delete(timer);
      this.giveUp(out, 'publisher closing');
    }
  }

  private apply(change: SettingsChange): void {
    const now = performance.now();
    const s = this.settings;
    if (change.tokens !== undefined) {
      s.tokens = [...change.tokens];
      for (const t of s.tokens) this.model.addToken(t);
    }
    if (change.users !== undefined) s.users = [...change.users];
    if (change.messagesPerSecond !== undefined) {
      s.messagesPerSecond = change.messagesPerSecond;
      this.pricePacer.retime(change.messagesPerSecond, now);
      this.metrics.targetRate.set(change.messagesPerSecond);
      // The window measured the old rate: start measuring the new one afresh.
      this.meter.clear();
      this.meter.sample(this.counts.price, now);
      this.lastSample = now;
    }
    if (change.tradeEventsPerSecond !== undefined) {
      s.tradeEventsPerSecond = change.tradeEventsPerSecond;
      this.tradePacer.retime(change.tradeEventsPerSecond, now);
    }
    if (change.bookMessagesPerSecond !== undefined) {
      s.bookMessagesPerSecond = change.bookMessagesPerSecond;
      this.bookPacer.retime(change.bookMessagesPerSecond, now);
    }
    if (change.duration !== undefined) {
      s.duration = change.duration;
      this.stopAt = this.slotTimer && change.duration > 0 ? now + change.duration * 1000 : 0;
    }
    if (change.statisticsIntervalMs !== undefined) {
      s.statisticsIntervalMs = change.statisticsIntervalMs;
      if (this.slotTimer) this.scheduleStatistics();
    }
  }

  private scheduleStatistics(): void {
    clearInterval(this.statisticsTimer);
    this.statisticsTimer = setInterval(() => this.publishStatistics(), this.settings.statisticsIntervalMs);
  }

  private slot(): void {
    const now = performance.now();
    if (this.stopAt > 0 && now >= this.stopAt) {
      this.stop('duration elapsed');
      return;
    }
    const tokens = this.settings.tokens;
    const due = this.pricePacer.due(now);
    const room = Math.max(this.settings.maxInFlight - this.inFlight, 0);
    const send = Math.min(due, room);
    // Over the in-flight bound the broker is the bottleneck: wait rather than queue without end.
    if (send < due) this.pricePacer.giveBack(due - send);
    for (let i = 0; i < send; i++) {
      const tokenId = tokens[this.nextToken++ % tokens.length]!;
      this.send('price', `token.${tokenId}.price`, this.model.tick(tokenId));
    }
    const tradesDue = this.tradePacer.due(now);
    for (let i = 0; i < tradesDue; i++) {
      const trade = this.trades.next(this.settings.users, tokens);
      if (trade) this.send('trade', trade.channel, trade.event);
    }
    const booksDue = this.bookPacer.due(now);
    for (let i = 0; i < booksDue; i++) {
      const book = this.books.next(tokens);
      if (book) this.send('book', book.channel, book.data);
    }
    if (now - this.lastSample >= METER_SAMPLE_MS) this.sampleMeters(now);
  }

  private sampleMeters(now: number): void {
    this.lastSample = now;
    this.meter.sample(this.counts.price, now);
    this.metrics.actualRate.set(this.meter.rate());
    if (this.latencyCount > 0) this.lastLatencyMs = this.latencySumMs / this.latencyCount;
    this.latencySumMs = 0;
    this.latencyCount = 0;
  }

  private publishStatistics(): void {
    this.send('statistics', 'market.statistics', this.model.statistics());
  }

  private send(kind: Kind, channel: string, payload: unknown): void {
    this.inFlight++;
    const msgId = this.msgIdPrefix + (++this.msgCounter).toString(36);
    this.attempt({ kind, channel, payload, msgId, firstAt: performance.now(), attempts: 1 });
  }

  private attempt(out: Outgoing): void {
    const started = performance.now();
    this.broker.publish(out.channel, out.payload, { msgId: out.msgId }).then(
      () => {
        this.inFlight--;
        this.counts[out.kind]++;
        this.metrics.published.inc({ kind: out.kind });
        const ms = performance.now() - started;
        this.latencySumMs += ms;
        this.latencyCount++;
        this.metrics.publishLatency.observe(ms / 1000);
      },
      (err: unknown) => this.failed(out, err),
    );
  }

  /**
   * A failed attempt (refused, timed out, connection lost): the message may
   * still have been stored, so it is sent again with the same msgId, which
   * JetStream's duplicate window turns into one stored copy. Bounded by
   * attempts and by time since the first attempt (config checks that this
   * time fits in the duplicate window); past the bound the message is lost.
   */
  private failed(out: Outgoing, err: unknown): void {
    this.counts.errors++;
    this.metrics.errors.inc();
    this.lastError = err instanceof Error ? err.message : String(err);
    const delay = retryDelayMs(out.attempts);
    const inTime = performance.now() + delay - out.firstAt <= (this.settings.retryWindowMs ?? simulationOptionTable.publishRetryMs.default);
    if (this.closing || out.attempts > (this.settings.maxRetries ?? simulationOptionTable.publishRetries.default) || !inTime) {
      this.giveUp(out, this.lastError);
      return;
    }
    out.attempts++;
    this.counts.retries++;
    this.metrics.retries.inc({ kind: out.kind });
    // Powers of two: an outage is visible in the logs without flooding them.
    if ((this.counts.retries & (this.counts.retries - 1)) === 0) {
      this.logger.warn({ event: 'publish_retrying', channel: out.channel, attempt: out.attempts, retries: this.counts.retries, err: this.lastError }, 'publish failed, retrying with the same message id');
    }
    const timer = setTimeout(() => {
      this.retrying.delete(timer);
      this.attempt(out);
    }, delay);
    this.retrying.set(timer, out);
  }

  private giveUp(out: Outgoing, reason: string): void {
    this.inFlight--;
    this.counts.lost++;
    this.metrics.lost.inc({ kind: out.kind });
    if ((this.counts.lost & (this.counts.lost - 1)) === 0) {
      this.logger.warn({ event: 'publish_failed', channel: out.channel, attempts: out.attempts, lost: this.counts.lost, err: reason }, 'publish given up: message lost');
    }
  }

  private logSettings(): Record<string, unknown> {
    const s = this.settings;
    return { rate: s.messagesPerSecond, tokens: s.tokens, duration: s.duration, statistics_interval_ms: s.statisticsIntervalMs, trade_rate: s.tradeEventsPerSecond, book_rate: s.bookMessagesPerSecond ?? 0 };
  }
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
