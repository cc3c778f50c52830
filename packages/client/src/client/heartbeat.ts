// Application-level heartbeat. Browsers answer the server's WebSocket pings
// but never tell the page when the peer is gone, so a dead connection can look
// open for minutes. When nothing has arrived for `intervalMs` the client sends
// a `ping`; when nothing arrives within `timeoutMs` after that, it declares the
// connection dead. One timer per client; any frame counts as alive.

export interface HeartbeatOptions {
  /** Silence before a ping is sent, ms. Default 15,000; 0 disables the heartbeat. */
  intervalMs: number;
  /** Silence after the ping before the connection is declared dead, ms. Default 10,000. */
  timeoutMs: number;
}

export const DEFAULT_HEARTBEAT: HeartbeatOptions = { intervalMs: 15_000, timeoutMs: 10_000 };

export class Heartbeat {
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastFrameAt = 0;
  private pingSentAt = 0;

  constructor(
    private readonly options: HeartbeatOptions,
    private readonly sendPing: () => void,
    private readonly onDead: () => void,
  ) {}

  start(): void {
    this.stop();
    if (this.options.intervalMs <= 0) return;
    this.lastFrameAt = Date.now();
    this.pingSentAt = 0;
    const period = Math.max(10, Math.min(this.options.intervalMs, this.options.timeoutMs) / 2);
    this.timer = setInterval(() => this.tick(), period);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Any frame from the server proves the connection alive. */
  frameReceived(): void {
    this.lastFrameAt = Date.now();
    this.pingSentAt = 0;
  }

  private tick(): void {
    const now = Date.now();
    if (this.pingSentAt > 0) {
      if (now - this.pingSentAt >= this.options.timeoutMs) {
        this.stop();
        this.onDead();
      }
      return;
    }
    if (now - this.lastFrameAt >= this.options.intervalMs) {
      this.pingSentAt = now;
      this.sendPing();
    }
  }
}
