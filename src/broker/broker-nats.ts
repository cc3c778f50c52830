// The NATS broker: many gateway instances share one JetStream stream over
// `odin.>`. Positions are stream sequences, so they mean the same on every
// instance; the epoch is the stream's creation time. Live messages come from
// one ordered consumer per instance (nats-live-consumer.ts) inside a live
// generation (nats-live-generation.ts); history from short-lived consumers
// (nats-history-reader.ts); latest values from the generation's channel view
// (nats-channel-view.ts). The stream, the epoch and every consumer restart
// belong to the recovery supervisor (nats-recovery-supervisor.ts).
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../observability/logger.js';
import { channelToSubject, checkChannel } from '@odin-gateway/client/channels';
import { isHistoryCursor, type Broker, type BrokerMessage, type BrokerStats, type BrokerStatus, type HistoryCursor, type HistoryPage, type HistoryPageOptions, type LatestResult, type Position, type PublishOptions } from './broker.js';
import { DEFAULT_MAX_CHANNELS, type NatsChannelView } from './nats-channel-view.js';
import type { NatsFaults } from './nats-faults.js';
import { HistoryReadError, readHistoryPage } from './nats-history-reader.js';
import { NatsRecoverySupervisor } from './nats-recovery-supervisor.js';
import { ensureStream, StreamConfigMismatchError, type StreamSettings } from './nats-stream-setup.js';
import { withinMs } from './time-bound.js';

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
  /** Credentials and TLS (src/broker/nats-auth.ts). */
  connectOptions?: Partial<ConnectionOptions>;
  /** How long a publish waits for the stream's acknowledgement. */
  publishTimeoutMs?: number;
  /** How long start() waits for the seeding pass of the live consumer. */
  seedTimeoutMs?: number;
  /** How often the recovery supervisor polls the stream (lag watchdog, stream re-creation). */
  lagCheckMs?: number;
  /** How long the live consumer may stay behind the stream before /health turns unhealthy and it is restarted. */
  lagWindowMs?: number;
  /** Channels whose latest value this instance keeps at most (the least recently published is forgotten first). */
  maxChannels?: number;
  /** Test-only failure injection (see nats-faults.ts). */
  faults?: NatsFaults;
}

/** History reads try a consumer first; a create that takes longer falls back to direct reads. */
const HISTORY_CONSUMER_TIMEOUT_MS = 1500;
const CLOSE_STEP_MS = 3000;
/** Start retries: 250 ms doubling to 10 s, as the recovery supervisor's. */
const START_BACKOFF_FIRST_MS = 250;
const START_BACKOFF_MAX_MS = 10_000;
export const DEFAULT_LAG_CHECK_MS = 2000;
export const DEFAULT_LAG_WINDOW_MS = 10_000;

export class NatsBrokerError extends Error {
  override name = 'NatsBrokerError';
}

export class NatsBroker implements Broker {
  readonly kind = 'nats' as const;
  private nc: NatsConnection | undefined;
  private jsm: JetStreamManager | undefined;
  private js: JetStreamClient | undefined;
  private readJs: JetStreamClient | undefined;
  private supervisor: NatsRecoverySupervisor | undefined;
  private state: BrokerStatus = 'disconnected';
  private readonly handlers: Array<(m: BrokerMessage) => void> = [];
  private readonly statusHandlers: Array<(s: BrokerStatus) => void> = [];
  private readonly logger: Logger;
  /** Why start() has not finished; undefined once started. */
  private startProblem: string | undefined = 'not started';
  /** Cuts a start retry's wait short when the broker is closed. */
  private wakeStart: (() => void) | undefined;

  constructor(private readonly options: NatsBrokerOptions) {
    this.logger = options.logger.child({ component: 'nats-broker' });
  }

  async start(): Promise<void> {
    const nc = await connect({
      ...this.options.connectOptions,
      servers: this.options.servers,
      name: this.options.connectionName ?? 'odin-gateway',
      maxReconnectAttempts: -1,
      reconnectTimeWait: this.options.reconnectTimeWaitMs ?? 500,
    }).catch((err: unknown) => {
      throw new NatsBrokerError(`cannot connect to NATS at ${this.options.servers.join(',')}: ${String(err)}`);
    });
    this.nc = nc;
    this.subscribeControl(nc);
    // No account check here: JetStream may not answer yet (a forming cluster); the first stream step finds out, and is retried.
    const jsm = await jetstreamManager(nc, { checkAPI: false });
    const js = jsm.jetstream();
    this.jsm = jsm;
    this.js = js;
    this.readJs = jetstream(nc, { timeout: HISTORY_CONSUMER_TIMEOUT_MS });
    const isConnected = () => this.state !== 'disconnected' && this.state !== 'closed';
    const supervisor = new NatsRecoverySupervisor({
      jsm,
      settings: this.options,
      logger: this.logger,
      consume: this.options.consume !== false,
      checkMs: this.options.lagCheckMs ?? DEFAULT_LAG_CHECK_MS,
      lagWindowMs: this.options.lagWindowMs ?? DEFAULT_LAG_WINDOW_MS,
      isConnected,
      generation: {
        js,
        jsm,
        stream: this.options.name,
        filterSubject: channelToSubject('>'),
        logger: this.logger,
        seedTimeoutMs: this.options.seedTimeoutMs ?? 30_000,
        maxChannels: this.options.maxChannels ?? DEFAULT_MAX_CHANNELS,
        isConnected,
        emit: (m) => {
          for (const handler of this.handlers) handler(m);
        },
        faults: this.options.faults,
      },
    });
    this.supervisor = supervisor;
    // Connected from here: the supervisor's first pass needs it.
    this.setStatus('connected');
    void this.followConnection(nc);
    try {
      await this.adoptStreamRetrying(jsm, supervisor);
    } catch (err) {
      await this.close();
      throw err;
    }
    this.startProblem = undefined;
    const seedSeq = supervisor.generation()?.seededUpTo ?? 0;
    this.logger.info({ event: 'nats_broker_started', servers: this.options.servers, stream: this.options.name, epoch: supervisor.epoch(), seed_seq: seedSeq }, 'NATS broker started');
  }

  /**
   * The stream (checked or created) and the first live generation. On a
   * forming cluster JetStream answers "no suitable peers for placement",
   * "JetStream system temporarily unavailable" or times out for a while:
   * every error but a configuration mismatch or a server without JetStream
   * is retried with backoff, and
   * starting() says why meanwhile (the gateway's /readyz shows it).
   */
  private async adoptStreamRetrying(jsm: JetStreamManager, supervisor: NatsRecoverySupervisor): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await supervisor.start(await ensureStream(jsm, this.options, this.logger));
        return;
      } catch (err) {
        // A mismatch is configuration; a server without JetStream will not grow it: both end the start.
        if (err instanceof StreamConfigMismatchError || /jetstream is not enabled/i.test(String(err)) || this.isClosed()) throw err;
        const delayMs = Math.min(START_BACKOFF_MAX_MS, START_BACKOFF_FIRST_MS * 2 ** (attempt - 1));
        this.startProblem = `${String(err)} (attempt ${attempt}, next in ${delayMs} ms)`;
        this.logger.warn({ event: 'nats_start_retry', err: String(err), attempt, retry_in_ms: delayMs }, 'NATS broker start failed; retrying with backoff');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delayMs);
          this.wakeStart = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wakeStart = undefined;
        if (this.isClosed()) throw new NatsBrokerError(`closed while starting: ${this.startProblem}`);
      }
    }
  }

  private isClosed(): boolean {
    return this.state === 'closed';
  }

  /** While start() has not finished: why (its last transient error); undefined once started. */
  starting(): string | undefined {
    return this.startProblem;
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.wakeStart?.();
    // Neither step may hang a shutdown when NATS is unreachable.
    await withinMs(this.supervisor?.stop(), CLOSE_STEP_MS);
    const nc = this.nc;
    if (nc && !(await withinMs(nc.drain().then(() => true), CLOSE_STEP_MS))) await nc.close().catch(() => undefined);
    this.setStatus('closed');
  }

  epoch(): string {
    return this.supervisor?.epoch() ?? '';
  }

  status(): BrokerStatus {
    return this.state;
  }

  stats(): BrokerStats {
    const lag = this.supervisor?.lag() ?? { messages: 0, behind: false };
    const view = this.supervisor?.generation()?.view;
    return { lagMessages: lag.messages, behind: lag.behind, channels: view?.channels ?? 0, channelsEvicted: view?.evicted ?? 0 };
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
    return { seq: ack.seq, epoch: this.epoch() };
  }

  async historyPage(pattern: string, from: Position | HistoryCursor, options: HistoryPageOptions): Promise<HistoryPage> {
    // While disconnected every request would wait out its timeout (5 s): a
    // 100-channel resume would take minutes to learn what is known now.
    if (this.state !== 'connected') throw new HistoryReadError(`history of ${pattern} cannot be read: NATS is ${this.state}`);
    const { jsm, view } = this.ready();
    const readJs = this.readJs!;
    try {
      return await readHistoryPage({ readJs, jsm, stream: this.options.name, epoch: this.epoch(), view }, pattern, from, options);
    } catch (err) {
      if (err instanceof HistoryReadError) throw err;
      const after = isHistoryCursor(from) ? from.after : from.seq;
      throw new HistoryReadError(`history of ${pattern} after ${after} could not be read (NATS ${this.state}): ${String(err)}`, { cause: err });
    }
  }

  async latest(pattern: string): Promise<LatestResult> {
    const { view } = this.ready();
    return { messages: view.latest(pattern), position: { seq: view.top(pattern), epoch: this.epoch() } };
  }

  private ready(): { jsm: JetStreamManager; view: NatsChannelView } {
    if (!this.jsm || this.options.consume === false) throw new NatsBrokerError('history and latest need a started, consuming NATS broker');
    const generation = this.supervisor?.generation();
    // A re-created stream not adopted yet: no view matches the stream now.
    if (!generation) throw new HistoryReadError('the NATS stream was re-created and its live consumer is not running yet');
    return { jsm: this.jsm, view: generation.view };
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
        this.supervisor?.onDisconnected();
      } else if (s.type === 'reconnect') {
        this.logger.info({ event: 'nats_reconnected', server: s.server }, 'NATS connection back');
        this.setStatus('connected');
        this.supervisor?.onReconnected();
      }
    }
  }

  // ---- control messages (server API disconnect) ----
  // Core NATS, outside the stream's `odin.>`: a kick is not history. Scoped by
  // stream name so two deployments on one NATS do not kick each other's users.
  private readonly controlHandlers: Array<(topic: string, body: unknown) => void> = [];

  private controlSubject(topic: string): string {
    return `odin-control.${this.options.name}.${topic}`;
  }

  async publishControl(topic: string, body: unknown): Promise<void> {
    if (this.state === 'closed' || !this.nc) throw new NatsBrokerError('broker is not started or closed');
    this.nc.publish(this.controlSubject(topic), JSON.stringify(body) ?? 'null');
    // Flushed: once this resolves the server has the message, so every subscribed gateway gets it.
    await this.nc.flush();
  }

  onControl(handler: (topic: string, body: unknown) => void): void {
    this.controlHandlers.push(handler);
  }

  private subscribeControl(nc: NatsConnection): void {
    const prefix = this.controlSubject('');
    nc.subscribe(`${prefix}*`, {
      callback: (err, msg) => {
        if (err) return;
        let body: unknown;
        try {
          body = msg.json();
        } catch {
          this.logger.warn({ event: 'nats_control_invalid', subject: msg.subject }, 'control message is not JSON: ignored');
          return;
        }
        const topic = msg.subject.slice(prefix.length);
        for (const handler of this.controlHandlers) handler(topic, body);
      },
    });
  }
}
