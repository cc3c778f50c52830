// The live path: one ordered JetStream consumer over every Odin subject.
// Its first pass delivers the latest message of each subject (to seed the
// local view); after that, every new message, in stream order. When the
// consumer is lost (NATS restarted, the node holding it died, heartbeats
// stopped) a new one is created from the last seq handed over, so nothing is
// skipped and nothing is handed over twice.
import { DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import type { Logger } from '../observability/logger.js';
import type { NatsFaults } from './nats-faults.js';

export interface LiveConsumerOptions {
  stream: string;
  filterSubject: string;
  logger: Logger;
  /** Every message, in stream order, exactly once. */
  onMessage(message: JsMsg): void;
  /** Called once the first consumer exists and before it delivers anything. */
  onFirstCreated(): Promise<void>;
  /** Is the NATS connection up? The stall watchdog only counts while it is. */
  isConnected(): boolean;
  /** Test-only failure injection. */
  faults?: NatsFaults;
}

/** Pull expiry; the server heartbeats idle pulls every half of it. */
const PULL_EXPIRES_MS = 5000;
const IDLE_HEARTBEAT_MS = 2000;
/** No message nor heartbeat for this long while connected: recreate the consumer. */
const STALL_MS = 3 * IDLE_HEARTBEAT_MS;
const MAX_MESSAGES_PER_PULL = 1000;
const RETRY_DELAY_MS = 500;

export class NatsLiveConsumer {
  /** Stream seq of the last message handed over (0 = none yet). */
  private handedOver = 0;
  private current: ConsumerMessages | undefined;
  private closed = false;
  private lastActivity = Date.now();
  private watchdog: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private recreations = 0;
  /** Test-only: a wedged consumer hands over nothing (NatsFaults.wedgeRunningConsumer). */
  private wedged = false;

  constructor(
    private readonly js: JetStreamClient,
    private readonly options: LiveConsumerOptions,
  ) {}

  /** Creates the first consumer (seeding pass) and resolves once it is created. */
  async start(): Promise<void> {
    this.options.faults?.beforeLiveStart();
    const first = await this.js.consumers.get(this.options.stream, {
      filter_subjects: this.options.filterSubject,
      deliver_policy: DeliverPolicy.LastPerSubject,
    });
    await this.options.onFirstCreated();
    const messages = await first.consume(this.consumeOptions());
    this.loop = this.supervise(messages);
    this.watchdog = setInterval(() => this.checkStall(), IDLE_HEARTBEAT_MS);
    this.watchdog.unref();
  }

  /** The connection came back: give the consumer a fresh stall allowance. */
  noteReconnected(): void {
    this.lastActivity = Date.now();
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (this.watchdog) clearInterval(this.watchdog);
    await this.current?.close().catch(() => undefined);
    await this.loop;
  }

  private consumeOptions(): { max_messages: number; expires: number; idle_heartbeat: number; callback: (m: JsMsg) => void } {
    return {
      max_messages: MAX_MESSAGES_PER_PULL,
      expires: PULL_EXPIRES_MS,
      idle_heartbeat: IDLE_HEARTBEAT_MS,
      callback: (m) => this.handOver(m),
    };
  }

  private handOver(m: JsMsg): void {
    this.lastActivity = Date.now();
    if (this.wedged || this.options.faults?.takeWedge()) {
      this.wedged = true;
      return;
    }
    // A recreated consumer starts after the last seq handed over; this guard
    // keeps "exactly once" even if an old one still had a message in flight.
    if (m.seq <= this.handedOver) return;
    this.handedOver = m.seq;
    this.options.onMessage(m);
  }

  /** Runs consumers one after another until stopped. */
  private async supervise(messages: ConsumerMessages): Promise<void> {
    let running: ConsumerMessages | undefined = messages;
    while (!this.closed) {
      if (running) {
        this.current = running;
        this.lastActivity = Date.now();
        void this.watchStatus(running);
        const err = await running.closed();
        if (this.closed) return;
        this.options.logger.warn({ event: 'nats_consumer_ended', err: err ? String(err) : undefined, last_seq: this.handedOver }, 'live consumer ended; recreating');
      }
      running = undefined;
      await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
      if (this.closed) return;
      try {
        const consumer = await this.js.consumers.get(this.options.stream, {
          filter_subjects: this.options.filterSubject,
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: this.handedOver + 1,
        });
        running = await consumer.consume(this.consumeOptions());
        this.recreations++;
        this.options.logger.info({ event: 'nats_consumer_recreated', from_seq: this.handedOver + 1, recreations: this.recreations }, 'live consumer recreated');
      } catch (err) {
        this.options.logger.warn({ event: 'nats_consumer_create_failed', err: String(err) }, 'could not create the live consumer; retrying');
      }
    }
  }

  private async watchStatus(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const s of messages.status()) {
        if (s.type === 'heartbeat') this.lastActivity = Date.now();
      }
    } catch {
      // The iterator ends with the consumer; supervise() handles that.
    }
  }

  private checkStall(): void {
    if (this.closed || !this.current || !this.options.isConnected()) return;
    if (Date.now() - this.lastActivity < STALL_MS) return;
    // Connected but silent: the server-side consumer is gone or unreachable
    // (e.g. the cluster node holding it died). Replace it.
    this.options.logger.warn({ event: 'nats_consumer_stalled', silent_ms: Date.now() - this.lastActivity, last_seq: this.handedOver }, 'live consumer silent; recreating');
    this.lastActivity = Date.now();
    void this.current.close().catch(() => undefined);
  }
}
