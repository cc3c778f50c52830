// One life of the live path over one stream incarnation (one epoch): the
// channel view and the live consumer that fills it. A generation becomes the
// broker's (its view serves latest and history, its epoch positions) only
// once its seeding pass is complete, in the same step as its first live
// message is emitted; a stream re-created under the broker's feet gets a new
// generation, and the old one is dropped. The recovery supervisor creates
// generations and replaces their consumer when it ends or is stuck.
import type { JetStreamClient, JetStreamManager, JsMsg, StreamInfo } from '@nats-io/jetstream';
import type { Logger } from '../observability/logger.js';
import type { BrokerMessage } from './broker.js';
import { NatsChannelView } from './nats-channel-view.js';
import type { NatsFaults } from './nats-faults.js';
import { NatsLiveConsumer } from './nats-live-consumer.js';
import { channelOf, recordOfJsMsg, toBrokerMessage } from './nats-message.js';
import { epochFromCreated } from './nats-stream-setup.js';
import { orTimeout, withinMs } from './time-bound.js';

export class LiveGenerationError extends Error {
  override name = 'LiveGenerationError';
}

export interface GenerationOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  stream: string;
  filterSubject: string;
  logger: Logger;
  /** How long start() waits for the seeding pass. */
  seedTimeoutMs: number;
  /** Channels the view tracks at most (idle ones are forgotten first). */
  maxChannels: number;
  isConnected(): boolean;
  /** A live message, in stream order, exactly once. */
  emit(message: BrokerMessage): void;
  /** The generation is seeded: it becomes the broker's. Called once, before its first emit. */
  activate(generation: LiveGeneration): void;
  /** Its consumer ended or went silent: the supervisor replaces it. */
  consumerEnded(generation: LiveGeneration, reason: string): void;
  faults?: NatsFaults | undefined;
}

const STOP_STEP_MS = 3000;

export class LiveGeneration {
  readonly view: NatsChannelView;
  private consumer: NatsLiveConsumer | undefined;
  /** Stream seqs up to here were published before the seeding consumer existed: they seed, not emit. */
  private seedBoundary = 0;
  private seeded: (() => void) | undefined;
  private active = false;
  private stopped = false;
  /** The stream holds only the consumer's subjects, so a skipped seq was removed (else it may be another subject's). */
  private skipsMeanRemoval = true;
  /** Newest seq the live consumer skipped (removed before it got there); 0 = none. */
  private removedUnseenTop = 0;

  constructor(
    private readonly options: GenerationOptions,
    readonly epoch: string,
  ) {
    this.view = new NatsChannelView(options.maxChannels);
  }

  /** Creates the seeding consumer; resolves once the view is seeded and the generation active. */
  async start(): Promise<void> {
    const seeded = new Promise<void>((resolve) => (this.seeded = resolve));
    const consumer = this.newConsumer(undefined, async () => {
      // Read after the consumer exists: its last-per-subject pass covers the
      // stream up to its creation, and it delivers everything after in full,
      // so every seq up to this boundary seeds the view exactly. An empty
      // stream (everything expired) has nothing to seed.
      const { state, config } = await this.streamOfThisEpoch();
      this.seedBoundary = state.messages > 0 ? state.last_seq : 0;
      this.skipsMeanRemoval = (config.subjects ?? []).every((subject) => subject === this.options.filterSubject);
      if (this.view.cursor >= this.seedBoundary) this.becomeActive();
    });
    this.consumer = consumer;
    await consumer.start();
    await orTimeout(seeded, this.options.seedTimeoutMs, () => new LiveGenerationError(`the live consumer did not reach stream seq ${this.seedBoundary} within ${this.options.seedTimeoutMs} ms`));
  }

  get isActive(): boolean {
    return this.active;
  }

  get seededUpTo(): number {
    return this.seedBoundary;
  }

  /** Stream seq of the last message taken in. */
  get cursor(): number {
    return this.view.cursor;
  }

  /** Replaces the consumer with a new one that starts right after the last seq taken in; throws when it cannot be created. */
  async restartConsumer(): Promise<void> {
    if (this.stopped) return;
    const old = this.consumer;
    const fresh = this.newConsumer(this.view.cursor);
    // From here deliveries of the old consumer are ignored (take() checks who delivers).
    this.consumer = fresh;
    void withinMs(old?.stop(), STOP_STEP_MS);
    // A failed start deleted its server-side consumer; the supervisor retries.
    await fresh.start();
  }

  noteReconnected(): void {
    this.consumer?.noteReconnected();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await withinMs(this.consumer?.stop(), STOP_STEP_MS);
  }

  /**
   * The stream's info, checked to be this generation's incarnation. Called
   * once a consumer exists and before it delivers: a stream re-created
   * between the supervisor's check and the consumer's creation would
   * otherwise feed the new stream's messages under this (old) epoch.
   */
  private async streamOfThisEpoch(): Promise<StreamInfo> {
    const info = await this.options.jsm.streams.info(this.options.stream);
    const epoch = epochFromCreated(info.created);
    if (epoch !== this.epoch) throw new LiveGenerationError(`the stream was re-created (epoch ${this.epoch} -> ${epoch}) while its live consumer was being created`);
    return info;
  }

  private newConsumer(startAfter: number | undefined, onCreated?: () => Promise<void>): NatsLiveConsumer {
    const consumer: NatsLiveConsumer = new NatsLiveConsumer(
      this.options.js,
      this.options.jsm,
      {
        stream: this.options.stream,
        filterSubject: this.options.filterSubject,
        logger: this.options.logger,
        onMessage: (m) => this.take(consumer, m),
        onCreated: onCreated ?? (async () => void (await this.streamOfThisEpoch())),
        onEnded: (reason) => {
          if (!this.stopped && consumer === this.consumer) this.options.consumerEnded(this, reason);
        },
        isConnected: () => this.options.isConnected(),
        faults: this.options.faults,
      },
      startAfter,
    );
    return consumer;
  }

  /** One stream message, in stream order; each seq is taken once. */
  private take(from: NatsLiveConsumer, m: JsMsg): void {
    if (this.stopped || from !== this.consumer || m.seq <= this.view.cursor) return;
    const record = recordOfJsMsg(m);
    const channel = channelOf(record);
    if (channel === undefined) return;
    const seed = m.seq <= this.seedBoundary;
    // The consumer never skips a retained message on `odin.>`: seqs it skips
    // were removed before it got them (it fell behind by more than the
    // history), and any of them may have been this channel's. A stream that
    // also holds other subjects skips those too: there, no skip is trusted.
    const skipped = !seed && this.skipsMeanRemoval && m.seq > this.view.cursor + 1 && this.view.cursor > 0;
    if (skipped) this.removedUnseenTop = m.seq - 1;
    const last = this.view.lastSeqOf(channel);
    const prevKnown = seed ? last > 0 : this.view.prevIsKnown(channel) && (this.removedUnseenTop === 0 || last > this.removedUnseenTop);
    // In the seeding pass older messages of a subject are skipped, so the
    // first one seen there has an unknown predecessor; so has the first one
    // of a channel the view forgot, or one whose predecessor may have been
    // removed unseen: prev 0 ("unknown"), never a link across a loss.
    const message = toBrokerMessage(record, channel, seed || prevKnown ? last : 0, this.epoch);
    if (skipped) {
      message.afterLoss = true;
      this.options.logger.error(
        { event: 'nats_live_loss', from_seq: this.view.cursor + 1, to_seq: m.seq - 1 },
        'messages were removed from the stream before the live consumer took them in: subscribers must resume',
      );
    }
    this.view.record(message, prevKnown);
    if (seed) {
      if (m.seq >= this.seedBoundary) this.becomeActive();
      return;
    }
    this.becomeActive();
    this.options.emit(message);
  }

  private becomeActive(): void {
    if (!this.active) {
      this.active = true;
      this.options.activate(this);
    }
    const done = this.seeded;
    this.seeded = undefined;
    done?.();
  }
}
