// One server-side live consumer over every Odin subject, created and deleted
// by Odin itself: a plain pull consumer (no acks, in memory, one replica),
// not nats.js's ordered consumer, which replaces its server-side consumer on
// its own (after a deletion, a gap, missed heartbeats) from its own cursor and
// may so re-attach to a re-created stream under the old epoch. This one never
// replaces itself: a deletion, a missing stream, a delivery-sequence gap or
// silence ends it, and the recovery supervisor (nats-recovery-supervisor.ts)
// replaces it from the last seq taken in, after checking which stream
// incarnation is there. The seeding kind starts with the latest message of
// each subject (to seed the local view), then every new message; the
// resuming kind starts right after a given seq. Either hands over messages in
// stream order, each once.
import { AckPolicy, DeliverPolicy, type ConsumerConfig, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { nanos, nuid } from '@nats-io/transport-node';
import type { Logger } from '../observability/logger.js';
import type { NatsFaults } from './nats-faults.js';

export interface LiveConsumerOptions {
  stream: string;
  filterSubject: string;
  logger: Logger;
  /** Every message, in stream order. */
  onMessage(message: JsMsg): void;
  /** Called once the server-side consumer exists and before it delivers anything; throwing refuses it (it is deleted). */
  onCreated(): Promise<void>;
  /** It ended (deleted, its stream gone, a delivery gap, or silent while connected): nothing more will come. */
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
/** The server deletes a consumer nobody pulls from for this long (a gateway that died without deleting its own). */
const INACTIVE_THRESHOLD_MS = 60_000;
/** Deleting the server-side consumer on stop may not hang a shutdown. */
const DELETE_TIMEOUT_MS = 3000;

export class NatsLiveConsumer {
  /** The server-side consumer's name: Odin's own, so Odin can delete it. */
  readonly name = `odin_live_${nuid.next()}`;
  private messages: ConsumerMessages | undefined;
  private created = false;
  private stopped = false;
  private ended = false;
  /** Delivery sequence of the last message handed over: the next must be this + 1, or something was lost on the way. */
  private delivered = 0;
  private lastActivity = Date.now();
  private silenceCheck: NodeJS.Timeout | undefined;
  /** Test-only: a wedged consumer hands over nothing (NatsFaults.wedgeConsumers). */
  private wedged = false;

  /** `startAfter` undefined: the seeding kind; else deliver from startAfter + 1. */
  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly options: LiveConsumerOptions,
    private readonly startAfter?: number,
  ) {}

  /** Creates the server-side consumer and starts consuming; throws (having deleted it) when that fails. */
  async start(): Promise<void> {
    const seeding = this.startAfter === undefined;
    if (seeding) this.options.faults?.beforeLiveStart();
    const config: Partial<ConsumerConfig> = {
      name: this.name,
      filter_subject: this.options.filterSubject,
      ack_policy: AckPolicy.None,
      mem_storage: true,
      num_replicas: 1,
      inactive_threshold: nanos(INACTIVE_THRESHOLD_MS),
      ...(seeding ? { deliver_policy: DeliverPolicy.LastPerSubject } : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.startAfter + 1 }),
    };
    await this.jsm.consumers.add(this.options.stream, config);
    this.created = true;
    try {
      await this.options.onCreated();
      if (this.stopped) return;
      const consumer = await this.js.consumers.get(this.options.stream, this.name);
      if (this.stopped) return;
      const messages = await consumer.consume({
        max_messages: MAX_MESSAGES_PER_PULL,
        expires: PULL_EXPIRES_MS,
        idle_heartbeat: IDLE_HEARTBEAT_MS,
        // A deleted consumer or stream ends it (closed() reports why) instead of being waited for.
        abort_on_missing_resource: true,
        callback: (m) => this.handOver(m),
      });
      this.messages = messages;
    } catch (err) {
      await this.deleteServerSide();
      throw err;
    }
    this.lastActivity = Date.now();
    void this.watchStatus(this.messages);
    void this.messages.closed().then(
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

  /** Stops consuming and deletes the server-side consumer (best effort: the server drops it after INACTIVE_THRESHOLD_MS anyway). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.silenceCheck) clearInterval(this.silenceCheck);
    await this.messages?.close().catch(() => undefined);
    await this.deleteServerSide();
  }

  private async deleteServerSide(): Promise<void> {
    if (!this.created) return;
    this.created = false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, DELETE_TIMEOUT_MS)));
    await Promise.race([this.jsm.consumers.delete(this.options.stream, this.name).then(() => undefined, () => undefined), timeout]);
    clearTimeout(timer);
  }

  private handOver(m: JsMsg): void {
    this.lastActivity = Date.now();
    if (this.stopped || this.ended) return;
    if (this.wedged || this.options.faults?.wedgesNow()) {
      this.wedged = true;
      return;
    }
    // Without acks the server never sends a message twice; a jump in the
    // delivery sequence means messages were lost between the server and
    // this process: end, and be replaced from the last seq taken in.
    const expected = this.delivered + 1;
    if (m.info.deliverySequence !== expected) {
      this.options.logger.warn({ event: 'nats_consumer_delivery_gap', expected, got: m.info.deliverySequence, stream_seq: m.seq }, 'live consumer skipped deliveries; ending it');
      void this.messages?.close().catch(() => undefined);
      this.end('delivery gap');
      return;
    }
    this.delivered = expected;
    this.options.onMessage(m);
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
