// Sockets that are accepted but have not yet sent a complete first request
// (an HTTP request or a WebSocket upgrade). Each costs a file descriptor and
// memory while doing nothing, so there is a deadline to finish the handshake
// and a cap on how many may be pending at once; both refusals are reported
// with a reason. One sweep timer serves every pending socket.
import type { Socket } from 'node:net';
import { guardedInterval, type TimerErrorHandler } from './guarded-timer.js';

export type HandshakeRefusal = 'handshake_timeout' | 'handshake_cap';

export interface HandshakeObserver {
  onRefused(reason: HandshakeRefusal, socket: Socket): void;
  onTimerError: TimerErrorHandler;
}

const kDeadline = Symbol('odin.handshakeDeadline');
type PendingSocket = Socket & { [kDeadline]?: HandshakeDeadline };

function onPendingSocketClose(this: PendingSocket): void {
  this[kDeadline]?.settle(this);
}

export class HandshakeDeadline {
  /** Pending sockets and when each was accepted; insertion order is acceptance order. */
  private readonly pending = new Map<Socket, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly maxPending: number,
    private readonly observer: HandshakeObserver,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  start(): void {
    // A quarter of the deadline, at most a second: a socket lives at most 25% past it.
    this.timer = guardedInterval('handshake_sweep', Math.max(25, Math.min(1000, this.timeoutMs / 4)), this.sweep, this.observer.onTimerError);
  }

  /** Stops the sweep and closes the sockets still pending: a stopping server must not wait on them. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    for (const socket of this.pending.keys()) {
      this.settle(socket);
      socket.destroy();
    }
  }

  /** A new socket: tracked, or destroyed at once when the cap is reached. */
  admit(socket: Socket, now = Date.now()): void {
    if (this.pending.size >= this.maxPending) {
      socket.destroy();
      this.observer.onRefused('handshake_cap', socket);
      return;
    }
    this.pending.set(socket, now);
    (socket as PendingSocket)[kDeadline] = this;
    socket.once('close', onPendingSocketClose);
  }

  /** The socket finished its first request (or closed): no deadline any more. */
  settle(socket: Socket): void {
    if (!this.pending.delete(socket)) return;
    (socket as PendingSocket)[kDeadline] = undefined;
    socket.off('close', onPendingSocketClose);
  }

  readonly sweep = (now = Date.now()): void => {
    for (const [socket, acceptedAt] of this.pending) {
      // Acceptance order: the first one still in time ends the sweep.
      if (now - acceptedAt < this.timeoutMs) break;
      this.settle(socket);
      socket.destroy();
      this.observer.onRefused('handshake_timeout', socket);
    }
  };
}
