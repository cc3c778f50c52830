// The gateway's one observer: every event its parts report (a connection, the
// hub, the keepalive sweep) becomes metrics and log lines here, and nowhere
// else. The parts depend only on the narrow role interfaces below, so they
// stay testable alone and never touch metrics or the logger themselves.
import type { BrokerMessage } from '../broker/broker.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { ErrorCode } from '@odin-gateway/client/codes';
import type { ClientConnection } from './client-connection.js';
import type { ConflationObserver } from './conflation/conflation-hub.js';
import type { SlowSwitchObserver } from './conflation/slow-client-policy.js';
import type { Subscription } from './subscription.js';
import type { ConflationTick } from './conflation/conflation-group.js';

/** What a connection reports. */
export interface ConnectionObserver {
  slowClient(conn: ClientConnection): void;
  clientError(conn: ClientConnection, code: ErrorCode): void;
  abusive(conn: ClientConnection): void;
  /** Its token expired; it is being closed with 4003. */
  tokenExpired(conn: ClientConnection): void;
}

/** What the fan-out hub reports. */
export interface HubObserver {
  /** Once per flushed batch, with totals over all receivers (bytes on the wire, and what they would be uncompressed). */
  delivered(messages: readonly BrokerMessage[], frames: number, bytes: number, plainBytes: number, receivers: number): void;
  flushFailed(target: string, err: unknown): void;
  /** One flush pass took this long (ms). */
  flushed(durationMs: number): void;
}

/** What a timer reports when its callback threw (guarded-timer.ts): counted and logged, never fatal. */
export interface TimerObserver {
  timerFailed(timer: string, err: unknown): void;
}

/** What the keepalive sweep reports. */
export interface SweepObserver extends TimerObserver {
  keepaliveTimeout(conn: ClientConnection): void;
  swept(queuedBytes: number): void;
}

export class GatewayObserver implements ConnectionObserver, HubObserver, ConflationObserver, SlowSwitchObserver, SweepObserver, TimerObserver {
  constructor(
    private readonly metrics: GatewayMetrics,
    private readonly logger: Logger,
    private readonly maxQueueBytes: number,
  ) {}

  slowClient(conn: ClientConnection): void {
    this.metrics.slowClientsDisconnected.inc();
    this.logger.warn({ event: 'slow_client', session: conn.id, queued_bytes: conn.queuedBytes, limit: this.maxQueueBytes }, 'slow client closed (4000)');
  }

  clientError(_conn: ClientConnection, code: ErrorCode): void {
    this.metrics.clientErrors.inc({ code });
  }

  abusive(conn: ClientConnection): void {
    this.logger.warn({ event: 'abuse', session: conn.id, remote: conn.remoteAddress }, 'too many bad messages: closing (1008)');
  }

  tokenExpired(conn: ClientConnection): void {
    this.metrics.tokensExpired.inc();
    this.logger.info({ event: 'token_expired', session: conn.id, user: conn.user }, 'token expired: closing (4003)');
  }

  delivered(messages: readonly BrokerMessage[], frames: number, bytes: number, plainBytes: number, receivers: number): void {
    if (receivers === 0) return;
    this.metrics.messagesSent.inc(messages.length * receivers);
    this.metrics.framesSent.inc(frames);
    this.metrics.bytesSent.inc(bytes);
    this.metrics.bytesSentUncompressed.inc(plainBytes);
    const now = Date.now();
    for (const m of messages) this.metrics.deliveryLatency.observe((now - m.ts) / 1000);
  }

  switchedToConflation(sub: Subscription, intervalMs: number): void {
    this.metrics.slowClientsConflated.inc();
    this.logger.info({ event: 'slow_client_conflated', session: sub.conn.id, channel: sub.pattern, interval_ms: intervalMs, queued_bytes: sub.conn.queuedBytes }, 'slow client: subscription switched to conflation');
  }

  /** Conflated deliveries count as deliveries, but not in the delivery latency (they wait for their interval by design). */
  conflationTicked(_intervalMs: number, tick: ConflationTick): void {
    if (tick.messages === 0) return;
    this.metrics.messagesSent.inc(tick.messages);
    this.metrics.framesSent.inc(tick.frames);
    this.metrics.bytesSent.inc(tick.bytes);
    this.metrics.conflatedSent.inc(tick.messages);
    this.metrics.conflatedSkipped.inc(tick.skipped);
  }

  flushed(durationMs: number): void {
    this.metrics.flushDuration.observe(durationMs / 1000);
  }

  flushFailed(target: string, err: unknown): void {
    this.logger.error({ event: 'flush_failed', channel: target, err: String(err) }, 'fan-out failed for a batch');
  }

  keepaliveTimeout(conn: ClientConnection): void {
    this.logger.info({ event: 'keepalive_timeout', session: conn.id }, 'no frame for two ping intervals');
  }

  swept(queuedBytes: number): void {
    this.metrics.outboundQueueBytes.set(queuedBytes);
  }

  timerFailed(timer: string, err: unknown): void {
    this.metrics.timerErrors.inc({ timer });
    this.logger.error({ event: 'timer_failed', timer, err: String(err) }, 'a timer callback threw; the process goes on');
  }
}
