// One timer for all connections: pings, dead-peer detection and the final
// teardown of connections that were asked to close but never finished.
// A connection is alive if it sent any frame (pong or message) since the last
// sweep, so quiet clients that answer pings are never dropped.
import { CloseCode } from '@odin-gateway/client/codes';
import type { ClientConnection } from './client-connection.js';
import type { SweepObserver } from './gateway-observer.js';
import { guardedInterval } from './guarded-timer.js';

export class KeepaliveSweep {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly connections: ReadonlySet<ClientConnection>,
    private readonly intervalMs: number,
    private readonly observer: SweepObserver,
    /** Housekeeping that rides on the same timer. */
    private readonly onTick: () => void = () => undefined,
  ) {}

  start(): void {
    this.timer = guardedInterval('keepalive_sweep', this.intervalMs, this.sweep, (timer, err) => this.observer.timerFailed(timer, err));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  readonly sweep = (): void => {
    const now = Date.now();
    let queued = 0;
    for (const conn of this.connections) {
      if (!conn.isOpen) {
        // Asked to close (slow client, shutdown, timeout) over an interval ago: let go.
        if (now - conn.closingSince >= this.intervalMs) conn.terminate();
        continue;
      }
      queued += conn.queuedBytes;
      if (!conn.takeAliveMark()) {
        this.observer.keepaliveTimeout(conn);
        conn.close(CloseCode.KEEPALIVE_TIMEOUT);
        continue;
      }
      conn.writer.ping();
    }
    this.observer.swept(queued);
    this.onTick();
  };
}
