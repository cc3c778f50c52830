// The NATS broker: many gateway instances share one JetStream stream over
// `odin.>`. Positions are stream sequences, so they mean the same on every
// instance; the epoch is the stream's creation time. Live messages come from
// one ordered consumer per instance (nats-live-consumer.ts), history from
// short-lived consumers (nats-history-reader.ts), latest values from the local
// view the live consumer keeps (nats-channel-view.ts).
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../observability/logger.js';
import { channelToSubject, checkChannel } from '../protocol/channels.js';
import type { Broker, BrokerMessage, BrokerStatus, HistoryResult, LatestResult, Position, PublishOptions } from './broker.js';
import { NatsChannelView } from './nats-channel-view.js';
import { HistoryReadError, readHistory } from './nats-history-reader.js';
import type { NatsFaults } from './nats-faults.js';
import { NatsLiveConsumer } from './nats-live-consumer.js';
import { channelOf, recordOfJsMsg, toBrokerMessage } from './nats-message.js';
import { ensureStream, epochFromCreated, type StreamSettings } from './nats-stream-setup.js';

export interface NatsBrokerOptions extends StreamSettings {
  /** NATS server URLs (any member of a cluster will do; the client learns the rest). */
  servers: string[];
  logger: Logger;
  /** Connection name shown by the NATS server's monitoring. */
  connectionName?: string;
  /** false = publish only (a publisher): no live consumer, no history, no latest. */
  consume?: boolean;
  /** Wait between reconnect attempts; reconnects never give up. */
  reconnectTimeWaitMs?: number;
  /** How long a publish waits for the stream's acknowledgement. */
  publishTimeoutMs?: number;
  /** How long start() waits for the seeding pass of the live consumer. */
  seedTimeoutMs?: number;
  /** How often the recovery supervisor polls the stream (lag watchdog, stream re-creation). */
  lagCheckMs?: number;
  /** How long the live consumer may stay behind the stream before /health turns unhealthy and it is restarted. */
  lagWindowMs?: number;
  /** Test-only failure injection (see nats-faults.ts). */
  faults?: NatsFaults;
}

/** History reads try a consumer first; a create that takes longer falls back to direct reads. */
const HISTORY_CONSUMER_TIMEOUT_MS = 1500;

const CLOSE_STEP_MS = 3000;
const STREAM_CHECK_ATTEMPTS = 10;
const STREAM_CHECK_RETRY_MS = 2000;

/** Resolves with the promise's value, or undefined after `ms` or on failure. */
async function withinMs<T>(promise: Promise<T> | undefined, ms: number): Promise<T | undefined> {
  if (!promise) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([promise.catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export class NatsBrokerError extends Error {
  override name = 'NatsBrokerError';
}

export class NatsBroker implements Broker {
  readonly kind = 'nats' as const;
  private nc: NatsConnection | undefined;
  private jsm: JetStreamManager | undefined;
  private js: JetStreamClient | undefined;
  private readJs: JetStreamClient | undefined;
  private currentEpoch = '';
  private state: BrokerStatus = 'disconnected';
  private readonly view = new NatsChannelView();
  private live: NatsLiveConsumer | undefined;
  /** Stream seqs up to here were published before this instance started: they seed, not emit. */
  private seedBoundary = 0;
  private seeded: (() => void) | undefined;
  private readonly handlers: Array<(m: BrokerMessage) => void> = [];
  private readonly statusHandlers: Array<(s: BrokerStatus) => void> = [];
  private readonly logger: Logger;

  constructor(private readonly options: NatsBrokerOptions) {
    this.logger = options.logger.child({ component: 'nats-broker' });
  }

  async start(): Promise<void> {
    const nc = await connect({
      servers: this.options.servers,
      name: this.options.connectionName ?? 'odin-gateway',
      maxReconnectAttempts: -1,
      reconnectTimeWait: this.options.reconnectTimeWaitMs ?? 500,
    }).catch((err: unknown) => {
      throw new NatsBrokerError(`cannot connect to NATS at ${this.options.servers.join(',')}: ${String(err)}`);
    });
    this.nc = nc;
    this.jsm = await jetstreamManager(nc);
    this.js = this.jsm.jetstream();
    this.readJs = jetstream(nc, { timeout: HISTORY_CONSUMER_TIMEOUT_MS });
    const info = await ensureStream(this.jsm, this.options, this.logger);
    this.currentEpoch = epochFromCreated(info.created);
    void this.followConnection(nc);
    if (this.options.consume !== false) await this.startLive();
    this.setStatus('connected');
    this.logger.info({ event: 'nats_broker_started', servers: this.options.servers, stream: this.options.name, epoch: this.currentEpoch, seed_seq: this.seedBoundary }, 'NATS broker started');
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    // Neither step may hang a shutdown when NATS is unreachable.
    await withinMs(this.live?.stop(), CLOSE_STEP_MS);
    const nc = this.nc;
    if (nc && !(await withinMs(nc.drain().then(() => true), CLOSE_STEP_MS))) await nc.close().catch(() => undefined);
    this.setStatus('closed');
  }

  epoch(): string {
    return this.currentEpoch;
  }

  status(): BrokerStatus {
    return this.state;
  }

  onMessage(handler: (message: BrokerMessage) => void): void {
    this.handlers.push(handler);
  }

  onStatus(handler: (status: BrokerStatus) => void): void {
    this.statusHandlers.push(handler);
  }

  async publish(channel: string, payload: unknown, options?: PublishOptions): Promise<Position> {
    if (this.state === 'closed' || !this.js) throw new NatsBrokerError('broker is not started or closed');
    const check = checkChannel(channel);
    if (!check.ok || check.wildcard) throw new NatsBrokerError(`cannot publish on ${JSON.stringify(channel)}: not a concrete channel`);
    const ack = await this.js.publish(channelToSubject(channel), JSON.stringify(payload) ?? 'null', {
      ...(options?.msgId !== undefined ? { msgID: options.msgId } : {}),
      timeout: this.options.publishTimeoutMs ?? 5000,
    });
    return { seq: ack.seq, epoch: this.currentEpoch };
  }

  async history(pattern: string, since: Position): Promise<HistoryResult> {
    const { jsm } = this.ready();
    const readJs = this.readJs!;
    try {
      return await readHistory({ readJs, jsm, stream: this.options.name, epoch: this.currentEpoch, view: this.view }, pattern, since);
    } catch (err) {
      if (err instanceof HistoryReadError) throw err;
      throw new HistoryReadError(`history of ${pattern} after ${since.seq} could not be read (NATS ${this.state}): ${String(err)}`, { cause: err });
    }
  }

  async latest(pattern: string): Promise<LatestResult> {
    this.ready();
    return { messages: this.view.latest(pattern), position: { seq: this.view.top(pattern), epoch: this.currentEpoch } };
  }

  private ready(): { js: JetStreamClient; jsm: JetStreamManager } {
    if (!this.js || !this.jsm || this.options.consume === false) throw new NatsBrokerError('history and latest need a started, consuming NATS broker');
    return { js: this.js, jsm: this.jsm };
  }

  /** Starts the live consumer and waits until it has seeded the view. */
  private async startLive(): Promise<void> {
    const { js, jsm } = this.ready();
    const seeded = new Promise<void>((resolve) => (this.seeded = resolve));
    this.live = new NatsLiveConsumer(js, {
      stream: this.options.name,
      filterSubject: channelToSubject('>'),
      logger: this.logger,
      onMessage: (m) => this.take(m),
      isConnected: () => this.state !== 'disconnected' && this.state !== 'closed',
      faults: this.options.faults,
      onFirstCreated: async () => {
        // Read after the consumer exists: its last-per-subject pass covers
        // the stream up to its creation, and it delivers everything after in
        // full, so every seq up to this boundary seeds the view exactly.
        this.seedBoundary = (await jsm.streams.info(this.options.name)).state.last_seq;
        if (this.view.cursor >= this.seedBoundary) this.markSeeded();
      },
    });
    await this.live.start();
    const timeoutMs = this.options.seedTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new NatsBrokerError(`the live consumer did not reach stream seq ${this.seedBoundary} within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([seeded, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  private markSeeded(): void {
    const done = this.seeded;
    this.seeded = undefined;
    done?.();
  }

  /** One stream message, in stream order, exactly once. */
  private take(m: JsMsg): void {
    const record = recordOfJsMsg(m);
    const channel = channelOf(record);
    if (channel === undefined) return;
    const seed = m.seq <= this.seedBoundary;
    const last = this.view.lastSeqOf(channel);
    const message = toBrokerMessage(record, channel, last, this.currentEpoch);
    // In the seeding pass older messages of a subject are skipped, so the
    // first one seen there has an unknown predecessor.
    this.view.record(message, last > 0 || !seed);
    if (seed) {
      if (this.seeded && m.seq >= this.seedBoundary) this.markSeeded();
      return;
    }
    this.markSeeded();
    for (const handler of this.handlers) handler(message);
  }

  private setStatus(status: BrokerStatus): void {
    if (this.state === status || this.state === 'closed') return;
    this.state = status;
    for (const handler of this.statusHandlers) handler(status);
  }

  private async followConnection(nc: NatsConnection): Promise<void> {
    void nc.closed().then(() => this.setStatus('closed'));
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        this.logger.warn({ event: 'nats_disconnected', server: s.server }, 'NATS connection lost; reconnecting');
        this.setStatus('disconnected');
      } else if (s.type === 'reconnect') {
        this.logger.info({ event: 'nats_reconnected', server: s.server }, 'NATS connection back');
        this.live?.noteReconnected();
        this.setStatus('connected');
        void this.checkStreamAfterReconnect();
      }
    }
  }

  /**
   * After a reconnect the stream may be gone (memory storage, a wiped
   * server): recreate it, and when it is a new stream, start over with a new
   * epoch so that no position of the old history is honoured.
   */
  private async checkStreamAfterReconnect(attempt = 1): Promise<void> {
    if (!this.jsm || this.state === 'closed') return;
    try {
      const info = await ensureStream(this.jsm, this.options, this.logger);
      const epoch = epochFromCreated(info.created);
      if (epoch === this.currentEpoch) return;
      this.logger.error({ event: 'nats_stream_recreated', old_epoch: this.currentEpoch, epoch }, 'the stream was recreated: history is lost, new epoch');
      this.currentEpoch = epoch;
      if (this.live) {
        await this.live.stop();
        this.view.clear();
        this.seedBoundary = 0;
        await this.startLive();
      }
    } catch (err) {
      // In a cluster the JetStream API is slow to answer while a leader is re-elected.
      const retry = attempt < STREAM_CHECK_ATTEMPTS && this.state === 'connected';
      this.logger.warn({ event: 'nats_stream_check_failed', err: String(err), attempt, retry }, 'could not check the stream after reconnect');
      if (retry) setTimeout(() => void this.checkStreamAfterReconnect(attempt + 1), STREAM_CHECK_RETRY_MS).unref();
    }
  }
}
