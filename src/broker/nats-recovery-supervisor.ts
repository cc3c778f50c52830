// The one owner of the NATS broker's stream, epoch and live consumers. Every
// recovery goes through here, on one loop that never gives up while NATS is
// connected:
// - the stream: polled every `checkMs` (and at once after a reconnect); when
//   it is missing it is created, and when it is a new incarnation (another
//   creation time, so another epoch) a new live generation is built for it.
//   The epoch changes only when that generation's consumer runs and its view
//   is seeded; until then history reads fail (unavailable) rather than mix
//   two streams. A failure is retried with backoff.
// - the live consumer: when it ends or goes silent it is replaced from the
//   last seq taken in; a failed replacement is retried with backoff.
// - the lag watchdog: the stream's last seq against the last seq the live
//   consumer delivered. Lag by itself is normal under load; "behind" means
//   the consumer has not reached, within `lagWindowMs`, the first message
//   it had not delivered when the lag was first seen (or a new stream was
//   not adopted within that window). Behind turns /health unhealthy and restarts the
//   consumer, at most once per window, until it catches up.
import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import type { Logger } from '../observability/logger.js';
import { SUBJECT_PREFIX } from '@odin-gateway/client/channels';
import { LiveGeneration, type GenerationOptions } from './nats-live-generation.js';
import { nextMessageOn } from './nats-next-message.js';
import { ensureStream, epochFromCreated, refusedDifferences, streamDifferences, type StreamSettings } from './nats-stream-setup.js';
import { withinMs } from './time-bound.js';

export interface ConsumerLag {
  /** Messages in the stream after the last one the live consumer delivered (0 when caught up or not consuming). */
  messages: number;
  /** Behind for longer than the lag window: /health is unhealthy. */
  behind: boolean;
}

export interface SupervisorOptions {
  jsm: JetStreamManager;
  settings: StreamSettings;
  logger: Logger;
  /** false = a publisher: the stream and epoch only, no live consumer. */
  consume: boolean;
  checkMs: number;
  lagWindowMs: number;
  isConnected(): boolean;
  /** Everything a generation needs but its epoch and the supervisor's callbacks. */
  generation: Omit<GenerationOptions, 'activate' | 'consumerEnded'>;
}

const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 10_000;
const STOP_STEP_MS = 3000;

export class NatsRecoverySupervisor {
  private current: LiveGeneration | undefined;
  private currentEpoch = '';
  /** Epoch of a stream incarnation seen but not adopted yet, and since when. */
  private pendingEpoch: string | undefined;
  private pendingSince = 0;
  /** Why the live consumer must be replaced (ended, silent, stuck); undefined when it runs. */
  private lostReason: string | undefined;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** start() done: passes may run (before, a reconnect must not start a second generation). */
  private started = false;
  // Lag watchdog state.
  private lagMessages = 0;
  private target: number | undefined;
  private behindSince: number | undefined;
  private behind = false;
  private lastRestart = 0;
  /** The stream's differences from this process's settings last reported (changed by its owner while this runs). */
  private reportedDifferences = '[]';

  constructor(private readonly options: SupervisorOptions) {}

  /** Adopts the stream as found at start-up (its first generation when consuming); throws when that fails. */
  async start(info: StreamInfo): Promise<void> {
    const epoch = epochFromCreated(info.created);
    if (this.options.consume) await this.startGeneration(epoch);
    else this.currentEpoch = epoch;
    this.started = true;
    this.schedule(this.options.checkMs);
  }

  epoch(): string {
    return this.currentEpoch;
  }

  /** The active generation; undefined while a re-created stream is not adopted yet (or not consuming). */
  generation(): LiveGeneration | undefined {
    return this.pendingEpoch === undefined ? this.current : undefined;
  }

  lag(): ConsumerLag {
    return { messages: this.lagMessages, behind: this.behind };
  }

  onReconnected(): void {
    this.current?.noteReconnected();
    this.resetLagClock();
    this.kick();
  }

  onDisconnected(): void {
    // The outage is /health's "disconnected"; the lag clock restarts after it.
    this.resetLagClock();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await withinMs(this.running, STOP_STEP_MS);
    await this.current?.stop();
  }

  /** Runs a pass now (or right after the one in flight). */
  private kick(): void {
    if (this.stopped || !this.started) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    this.running = this.pass().finally(() => {
      this.running = undefined;
      if (this.stopped) return;
      if (this.again) {
        this.again = false;
        this.kick();
      } else {
        this.schedule(this.failures > 0 ? Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (this.failures - 1)) : this.options.checkMs);
      }
    });
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), ms);
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    if (!this.options.isConnected()) return;
    try {
      const info = await this.streamInfo();
      this.reportDifferences(info);
      const epoch = epochFromCreated(info.created);
      if (epoch !== this.currentEpoch) {
        await this.adopt(epoch);
      } else if (this.lostReason !== undefined) {
        await this.restartConsumer(this.lostReason);
      }
      if (this.options.consume) await this.watchLag(info.state.last_seq);
      if (this.failures > 0) this.options.logger.info({ event: 'nats_recovered', attempts: this.failures, epoch: this.currentEpoch }, 'NATS live path recovered');
      this.failures = 0;
    } catch (err) {
      this.failures++;
      this.options.logger.warn(
        { event: 'nats_recovery_failed', err: String(err), attempt: this.failures, pending_epoch: this.pendingEpoch, consumer_lost: this.lostReason },
        'NATS recovery step failed; retrying with backoff',
      );
    }
    this.judge();
  }

  /** The stream's info; creates the stream when it is missing (a wiped server, a deletion). */
  private async streamInfo(): Promise<StreamInfo> {
    try {
      return await this.options.jsm.streams.info(this.options.settings.name);
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw err;
      return ensureStream(this.options.jsm, this.options.settings, this.options.logger);
    }
  }

  /** The stream's owner may change its limits while this process runs: said once per change, loudly. */
  private reportDifferences(info: StreamInfo): void {
    // Limits this process left to the stream (defaults) follow the stream: only given ones can differ.
    const differences = refusedDifferences(streamDifferences(info.config, this.options.settings), this.options.settings);
    const key = JSON.stringify(differences);
    if (key === this.reportedDifferences) return;
    this.reportedDifferences = key;
    if (differences.length > 0) {
      this.options.logger.error(
        { event: 'nats_stream_config_differs', stream: this.options.settings.name, differences: differences.map((d) => `${d.field}: ${d.actual} (this process: ${d.wanted}, ${d.setting})`) },
        'the stream\'s limits changed and differ from this process\'s settings: this process would refuse to start so',
      );
    } else {
      this.options.logger.info({ event: 'nats_stream_config_agrees', stream: this.options.settings.name }, 'the stream\'s limits agree with this process\'s settings again');
    }
  }

  /** A new stream incarnation: history is lost. Switches the epoch only once a generation for it runs. */
  private async adopt(epoch: string): Promise<void> {
    if (this.pendingEpoch !== epoch) {
      this.options.logger.error({ event: 'nats_stream_recreated', old_epoch: this.currentEpoch, epoch }, 'the stream was recreated: history is lost, new epoch');
      this.pendingEpoch = epoch;
      this.pendingSince = Date.now();
    }
    if (!this.options.consume) {
      this.currentEpoch = epoch;
      this.pendingEpoch = undefined;
      return;
    }
    // The old generation follows a stream that no longer exists.
    if (this.current && this.current.epoch !== epoch) await this.current.stop();
    await this.startGeneration(epoch);
  }

  private async startGeneration(epoch: string): Promise<void> {
    const generation = new LiveGeneration(
      {
        ...this.options.generation,
        activate: (g) => this.activate(g),
        consumerEnded: (g, reason) => this.consumerEnded(g, reason),
      },
      epoch,
    );
    try {
      await generation.start();
    } catch (err) {
      if (!generation.isActive) {
        await generation.stop();
        throw err;
      }
    }
  }

  /** Called by the generation when it is seeded, before it emits anything. */
  private activate(generation: LiveGeneration): void {
    if (this.stopped) {
      void generation.stop();
      return;
    }
    const previous = this.current;
    this.current = generation;
    this.currentEpoch = generation.epoch;
    this.pendingEpoch = undefined;
    this.lostReason = undefined;
    this.resetLagClock();
    if (previous && previous !== generation) void previous.stop();
    this.options.logger.info({ event: 'nats_live_started', epoch: generation.epoch, seed_seq: generation.seededUpTo }, 'live consumer running and seeded');
  }

  private consumerEnded(generation: LiveGeneration, reason: string): void {
    if (generation !== this.current || this.stopped) return;
    this.options.logger.warn({ event: 'nats_consumer_ended', reason, last_seq: generation.cursor }, 'live consumer ended; replacing it');
    this.lostReason = reason;
    this.kick();
  }

  private async restartConsumer(reason: string): Promise<void> {
    const generation = this.current;
    if (!generation) return;
    this.lastRestart = Date.now();
    await generation.restartConsumer();
    this.lostReason = undefined;
    this.options.logger.info({ event: 'nats_consumer_recreated', reason, from_seq: generation.cursor + 1 }, 'live consumer recreated');
  }

  private async watchLag(lastSeq: number): Promise<void> {
    const generation = this.generation();
    if (!generation) return;
    const delivered = generation.cursor;
    // The first retained Odin message not delivered yet: messages removed
    // before delivery (age) never arrive, and other subjects are not ours.
    const next = lastSeq > delivered ? await this.nextRetainedAfter(delivered) : undefined;
    const lag = next === undefined ? 0 : lastSeq - delivered;
    this.lagMessages = lag;
    if (lag === 0 || (this.target !== undefined && delivered >= this.target)) {
      this.target = undefined;
      this.behindSince = undefined;
    }
    if (next !== undefined && this.target === undefined) {
      this.target = next;
      this.behindSince = Date.now();
    }
  }

  private async nextRetainedAfter(seq: number): Promise<number | undefined> {
    const next = await nextMessageOn(this.options.jsm, this.options.settings.name, `${SUBJECT_PREFIX}>`, seq + 1).catch(() => null);
    return next?.seq;
  }

  /** Decides "behind", logs its changes, and restarts a stuck consumer (once per window). */
  private judge(): void {
    if (!this.options.consume) return;
    const now = Date.now();
    const since = this.pendingEpoch !== undefined ? this.pendingSince : this.behindSince;
    const behind = since !== undefined && now - since >= this.options.lagWindowMs;
    if (behind !== this.behind) {
      this.behind = behind;
      if (behind) {
        this.options.logger.error(
          { event: 'nats_consumer_behind', lag: this.lagMessages, window_ms: this.options.lagWindowMs, pending_epoch: this.pendingEpoch },
          'the live consumer fell behind the stream and did not catch up: /health unhealthy',
        );
      } else {
        this.options.logger.info({ event: 'nats_consumer_caught_up', lag: this.lagMessages }, 'the live consumer caught up');
      }
    }
    if (behind && this.pendingEpoch === undefined && this.lostReason === undefined && now - this.lastRestart >= this.options.lagWindowMs) {
      this.options.logger.warn({ event: 'nats_consumer_stuck', lag: this.lagMessages }, 'the live consumer is stuck; replacing it');
      this.lostReason = 'stuck';
      this.lastRestart = now;
      this.kick();
    }
  }

  private resetLagClock(): void {
    this.target = undefined;
    this.behindSince = undefined;
    this.lagMessages = 0;
  }
}
