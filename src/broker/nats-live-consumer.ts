// One server-side live consumer: an ordered JetStream consumer over every
// Odin subject. The seeding kind starts with the latest message of each
// subject (to seed the local view), then every new message; the resuming
// kind starts right after a given seq. Either hands over messages in stream
// order and reports when it ends or goes silent. It never replaces itself:
// the recovery supervisor (nats-recovery-supervisor.ts) does, from the last
// seq taken in, so nothing is skipped and nothing is taken twice.
import { DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import type { Logger } from '../observability/logger.js';
import type { NatsFaults } from './nats-faults.js';

export interface LiveConsumerOptions {
  stream: string;
  filterSubject: string;
  logger: Logger;
  /** Every message, in stream order. */
  onMessage(message: JsMsg): void;
  /** Seeding kind: called once the consumer exists and before it delivers anything. */
  onCreated?(): Promise<void>;
  /** It ended (closed by the client library, or silent while connected): nothing more will come. */
  onEnded(reason: string): void;
  /** Is the NATS connection up? Silence only counts while it is. */
  isConnected(): boolean;
  /** Test-only failure injection. */
  faults?: NatsFaults | undefined;
}

/** Pull expiry; the server heartbeats idle pulls every half of it. */
const PULL_EXPIRES_MS = 5000;
const IDLE_HEARTBEAT_MS = 2000;
/** No message nor heartbeat for this long while connected: the consumer is gone or unreachable. */
const STALL_MS = 3 * IDLE_HEARTBEAT_MS;
const MAX_MESSAGES_PER_PULL = 1000;

export class NatsLiveConsumer {
  private messages: ConsumerMessages | undefined;
  private stopped = false;
  private ended = false;
  private lastActivity = Date.now();
  private silenceCheck: NodeJS.Timeout | undefined;
  /** Test-only: a wedged consumer hands over nothing (NatsFaults.wedgeConsumers). */
  private wedged = false;

  /** `startAfter` undefined: the seeding kind; else deliver from startAfter + 1. */
  constructor(
    private readonly js: JetStreamClient,
    private readonly options: LiveConsumerOptions,
    private readonly startAfter?: number,
  ) {}

  /** Creates the server-side consumer and starts consuming; throws when it cannot be created. */
  async start(): Promise<void> {
    const seeding = this.startAfter === undefined;
    if (seeding) this.options.faults?.beforeLiveStart();
    const consumer = await this.js.consumers.get(
      this.options.stream,
      seeding
        ? { filter_subjects: this.options.filterSubject, deliver_policy: DeliverPolicy.LastPerSubject }
        : { filter_subjects: this.options.filterSubject, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.startAfter + 1 },
    );
    if (seeding) await this.options.onCreated?.();
    if (this.stopped) return;
    const messages = await consumer.consume({
      max_messages: MAX_MESSAGES_PER_PULL,
      expires: PULL_EXPIRES_MS,
      idle_heartbeat: IDLE_HEARTBEAT_MS,
      callback: (m) => this.handOver(m),
    });
    this.messages = messages;
    this.lastActivity = Date.now();
    void this.watchStatus(messages);
    void messages.closed().then(
      (err) => this.end(err ? String(err) : 'closed'),
      (err: unknown) => this.end(String(err)),
    );
    this.silenceCheck = setInterval(() => this.checkSilence(), IDLE_HEARTBEAT_MS);
    this.silenceCheck.unref();
  }

  /** The connection came back: a fresh silence allowance. */
  noteReconnected(): void {
    this.lastActivity = Date.now();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.silenceCheck) clearInterval(this.silenceCheck);
    await this.messages?.close().catch(() => undefined);
  }

  private handOver(m: JsMsg): void {
    this.lastActivity = Date.now();
    if (this.wedged || this.options.faults?.wedgesNow()) {
      this.wedged = true;
      return;
    }
    if (!this.stopped) this.options.onMessage(m);
  }

  private end(reason: string): void {
    if (this.silenceCheck) clearInterval(this.silenceCheck);
    if (this.stopped || this.ended) return;
    this.ended = true;
    this.options.onEnded(reason);
  }

  private async watchStatus(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const s of messages.status()) {
        if (s.type === 'heartbeat') this.lastActivity = Date.now();
      }
    } catch {
      // The iterator ends with the consumer; closed() reports that.
    }
  }

  private checkSilence(): void {
    if (this.stopped || this.ended || !this.options.isConnected()) return;
    const silentMs = Date.now() - this.lastActivity;
    if (silentMs < STALL_MS) return;
    // Connected but silent: the server-side consumer is gone or unreachable
    // (e.g. the cluster node holding it died).
    this.options.logger.warn({ event: 'nats_consumer_stalled', silent_ms: silentMs }, 'live consumer silent; ending it');
    void this.messages?.close().catch(() => undefined);
    this.end('silent');
  }
}
