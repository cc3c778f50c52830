// The transport of an SSE connection: the response's raw socket, after the
// response head. Control messages become events (sse-encoder.ts); a close
// becomes a last `close` event naming the code, then the end of the stream
// (a native EventSource then reconnects with Last-Event-ID); the keepalive
// probe is a comment line, which EventSource ignores and proxies see as
// traffic. SSE clients never answer, so the probe itself keeps the
// connection counted alive; a dead peer shows as a failed write (close).
import type { Socket } from 'node:net';
import type { ClientTransport } from '../client-transport.js';
import type { SseEncoder } from './sse-encoder.js';

export class SseTransport implements ClientTransport {
  /** Called after each probe is written (the connection marks itself alive). */
  onProbe: () => void = () => undefined;

  constructor(
    private readonly socket: Socket,
    private readonly encoder: SseEncoder,
  ) {}

  send(text: string): void {
    if (this.socket.writable) this.socket.write(this.encoder.control(text));
  }

  close(code: number, reason: string): void {
    if (!this.socket.writable) return;
    this.socket.end(`event: close\ndata: ${JSON.stringify({ code, reason })}\n\n`);
  }

  terminate(): void {
    this.socket.destroy();
  }

  ping(): void {
    if (!this.socket.writable) return;
    this.socket.write(': keepalive\n\n');
    this.onProbe();
  }
}
