// Guards a listener below HTTP (the public one, and each private one:
// --metrics-port, --api-port): how many sockets it may hold (the
// open-file budget), what happens when accept() fails for want of file
// descriptors (EMFILE/ENFILE: accepting pauses for a moment, never a crash),
// the handshake deadline and cap for sockets that never send a request, and
// malformed HTTP. Every socket refused here is counted in
// ws_connections_failed_total by reason and logged (at most once a second per reason).
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { FileBudget } from './file-limit.js';
import type { TimerErrorHandler } from './guarded-timer.js';
import { HandshakeDeadline, type HandshakeRefusal } from './handshake-deadline.js';

/** How long accepting stays paused after EMFILE/ENFILE: long enough for closing sockets to return descriptors. */
export const ACCEPT_PAUSE_MS = 1000;

export type SocketRefusal = HandshakeRefusal | 'fd_limit' | 'accept_error' | 'bad_request';
export const SOCKET_REFUSALS: readonly SocketRefusal[] = ['handshake_timeout', 'handshake_cap', 'fd_limit', 'accept_error', 'bad_request'];

export interface ListenerGuardOptions {
  handshakeTimeoutMs: number;
  maxPendingHandshakes: number;
  files: FileBudget;
  /** Which listener, in logs; only the public one sets ws_handshakes_pending. Default 'public'. */
  listener?: 'public' | 'metrics' | 'api';
}

const LOG_MESSAGES: Record<SocketRefusal, string> = {
  handshake_timeout: 'socket closed: no complete request within the handshake deadline',
  handshake_cap: 'socket closed: too many sockets still in their handshake',
  fd_limit: 'socket closed: open-file budget reached',
  accept_error: 'socket closed: accepting is paused after EMFILE/ENFILE',
  bad_request: 'malformed HTTP request',
};

export class ListenerGuard {
  readonly handshakes: HandshakeDeadline;
  private acceptPausedUntil = 0;
  /** Per reason: when it was last logged and how many went unlogged since. */
  private readonly logged = new Map<SocketRefusal, { at: number; since: number }>();
  private readonly listener: 'public' | 'metrics' | 'api';

  constructor(
    private readonly server: Server,
    options: ListenerGuardOptions,
    private readonly metrics: GatewayMetrics,
    private readonly logger: Logger,
    onTimerError: TimerErrorHandler,
  ) {
    this.listener = options.listener ?? 'public';
    this.handshakes = new HandshakeDeadline(options.handshakeTimeoutMs, options.maxPendingHandshakes, {
      onRefused: (reason, socket) => this.refused(reason, socket.remoteAddress),
      onTimerError,
    });
    // Node closes sockets over maxConnections at once and emits 'drop'.
    if (Number.isFinite(options.files.maxSockets)) server.maxConnections = options.files.maxSockets;
    // Node's own timers for later requests on a kept-alive socket; the first request is ours (HandshakeDeadline), counted.
    server.headersTimeout = options.handshakeTimeoutMs * 2;
    server.requestTimeout = options.handshakeTimeoutMs * 4;
    for (const reason of SOCKET_REFUSALS) metrics.connectionsFailed.inc({ reason }, 0);
    server.on('connection', (socket: Socket) => this.onConnection(socket));
    server.on('drop', (data?: { remoteAddress?: string }) => this.refused('fd_limit', data?.remoteAddress));
    server.on('request', (req: { socket: Socket }) => this.handshakes.settle(req.socket));
    server.on('upgrade', (req: { socket: Socket }) => this.handshakes.settle(req.socket));
    server.on('error', (err: NodeJS.ErrnoException) => this.onServerError(err));
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => this.onClientError(err, socket));
  }

  start(): void {
    this.handshakes.start();
  }

  stop(): void {
    this.handshakes.stop();
  }

  get acceptPaused(): boolean {
    return Date.now() < this.acceptPausedUntil;
  }

  private onConnection(socket: Socket): void {
    if (this.acceptPaused) {
      socket.destroy();
      this.refused('accept_error', socket.remoteAddress);
      return;
    }
    this.handshakes.admit(socket);
    this.countPending();
  }

  /** After listen() succeeded, a server 'error' is an accept() failure: never fatal. */
  private onServerError(err: NodeJS.ErrnoException): void {
    if (!this.server.listening) return; // listen() errors belong to start()
    if (err.code === 'EMFILE' || err.code === 'ENFILE') {
      const wasPaused = this.acceptPaused;
      this.acceptPausedUntil = Date.now() + ACCEPT_PAUSE_MS;
      this.metrics.connectionsFailed.inc({ reason: 'accept_error' });
      if (!wasPaused) this.logger.error({ event: 'accept_failed', code: err.code, pause_ms: ACCEPT_PAUSE_MS }, 'out of file descriptors: accepting paused');
      return;
    }
    this.logger.error({ event: 'server_error', code: err.code, err: String(err) }, 'listener error');
  }

  /** Malformed HTTP: answered with nosniff like every response, counted, the socket closed. */
  private onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nX-Content-Type-Options: nosniff\r\nContent-Length: 0\r\n\r\n`);
    socket.destroySoon();
    this.refused('bad_request', socket.remoteAddress, err.code);
  }

  private countPending(): void {
    if (this.listener === 'public') this.metrics.handshakesPending.set(this.handshakes.size);
  }

  private refused(reason: SocketRefusal, remote: string | undefined, code?: string): void {
    this.metrics.connectionsFailed.inc({ reason });
    this.countPending();
    const now = Date.now();
    const last = this.logged.get(reason);
    if (last && now - last.at < 1000) {
      last.since++;
      return;
    }
    const count = (last?.since ?? 0) + 1;
    this.logged.set(reason, { at: now, since: 0 });
    try {
      this.logger.warn({ event: 'socket_refused', reason, remote, code, count, listener: this.listener }, LOG_MESSAGES[reason]);
    } catch {
      // logging must not turn a refused socket into a crash
    }
  }
}
