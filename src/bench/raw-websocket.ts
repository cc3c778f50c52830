// A minimal WebSocket client for the load generator: the upgrade by hand over
// a net.Socket, then a frame parser that hands each text frame's payload to
// one callback as a view into the received chunk (no copy when the frame fits
// in it, no event emitter, no UTF-8 validation). Server frames are never masked
// (RFC 6455 5.1), which keeps this short. Pings are answered. Clients must mask,
// so outgoing frames are masked. This is what lets two generator threads keep
// up with a server sharing the same two cores; `ws` costs several times more per frame.
// With `deflate` it offers permessage-deflate as Chromium does; compressed
// frames (RSV1) reach `onText` still compressed, flagged, for the caller to
// inflate (or not: a count may not need the text). Once deflate is agreed it
// also compresses what it sends, as Chromium does, so the server pays for
// inflating client frames in the benchmark as it would with browsers.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { deflateFrame, parseDeflateAnswer } from './frame-inflater.js';

export interface RawWebSocketHandlers {
  onOpen(): void;
  onText(payload: Buffer, compressed: boolean): void;
  onClose(): void;
  onError(code: string): void;
  /** Every chunk read from the socket, handshake included: bytes on the wire (TCP payload). */
  onBytes?(count: number): void;
}

export interface RawWebSocketOptions {
  /** Offer permessage-deflate (`permessage-deflate; client_max_window_bits`, Chromium's offer). */
  deflate?: boolean;
}

const DEFLATE_OFFER = 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n';
const RSV1 = 0x40;

const OP_TEXT = 1;
const OP_BINARY = 2;
const OP_CLOSE = 8;
const OP_PING = 9;

export class RawWebSocket {
  private readonly socket: Socket;
  private upgraded = false;
  private pending: Buffer | undefined;
  private closed = false;
  /** Reading is held until this timer fires (a slow reader's pause). */
  private resumeTimer: NodeJS.Timeout | undefined;
  /** The code of the server's close frame, once one came. */
  closeCode: number | undefined;
  /** What the server agreed to (known once open). */
  negotiated = { deflate: false, serverContextTakeover: false };

  constructor(
    url: string,
    localAddress: string | undefined,
    private readonly handlers: RawWebSocketHandlers,
    options: RawWebSocketOptions = {},
  ) {
    const u = new URL(url);
    this.socket = connect({ host: u.hostname, port: Number(u.port || 80), ...(localAddress ? { localAddress } : {}) });
    this.socket.setNoDelay(true);
    const key = randomBytes(16).toString('base64');
    this.socket.write(
      `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${options.deflate ? DEFLATE_OFFER : ''}\r\n`,
    );
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err: Error & { code?: string }) => {
      if (!this.upgraded) handlers.onError(err.code ?? err.message);
    });
    this.socket.on('close', () => {
      if (this.resumeTimer) clearTimeout(this.resumeTimer);
      if (this.closed) return;
      this.closed = true;
      handlers.onClose();
    });
  }

  get isOpen(): boolean {
    return this.upgraded && !this.closed;
  }

  send(text: string): void {
    if (!this.isOpen) return;
    const payload = Buffer.from(text);
    if (this.negotiated.deflate) this.socket.write(maskedFrame(OP_TEXT | RSV1, deflateFrame(payload)));
    else this.socket.write(maskedFrame(OP_TEXT, payload));
  }

  terminate(): void {
    this.socket.destroy();
  }

  /**
   * Stops reading for `ms` (a slow reader): Node stops taking data from the
   * kernel once its own small read buffer is full, so the receive window
   * closes and the server's writes back up, as with a slow client on a real
   * network. Frames already read are still handled.
   */
  holdReading(ms: number): void {
    if (this.closed || this.resumeTimer) return;
    this.socket.pause();
    this.resumeTimer = setTimeout(() => {
      this.resumeTimer = undefined;
      if (!this.closed) this.socket.resume();
    }, ms);
  }

  private onData(chunk: Buffer): void {
    this.handlers.onBytes?.(chunk.length);
    let data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    if (!this.upgraded) {
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) {
        this.pending = data;
        return;
      }
      const status = data.toString('latin1', 0, Math.min(end, 32));
      if (!/^HTTP\/1\.1 101/.test(status)) {
        this.handlers.onError(`HTTP ${status.slice(9, 12)}`);
        this.socket.destroy();
        return;
      }
      this.upgraded = true;
      this.negotiated = parseDeflateAnswer(data.toString('latin1', 0, end));
      this.handlers.onOpen();
      data = data.subarray(end + 4);
    }
    let at = 0;
    while (at + 2 <= data.length) {
      const b0 = data[at]!;
      const b1 = data[at + 1]!;
      let length = b1 & 0x7f;
      let header = 2;
      if (length === 126) {
        if (at + 4 > data.length) break;
        length = data.readUInt16BE(at + 2);
        header = 4;
      } else if (length === 127) {
        if (at + 10 > data.length) break;
        length = data.readUInt32BE(at + 6);
        header = 10;
      }
      if (at + header + length > data.length) break;
      const payload = data.subarray(at + header, at + header + length);
      at += header + length;
      const opcode = b0 & 0x0f;
      // nats-server sends its protocol in binary frames; both carry what we count.
      if (opcode === OP_TEXT || opcode === OP_BINARY) this.handlers.onText(payload, (b0 & RSV1) !== 0);
      else if (opcode === OP_PING) this.socket.write(maskedFrame(0x0a, payload));
      else if (opcode === OP_CLOSE) {
        if (payload.length >= 2) this.closeCode = payload.readUInt16BE(0);
        this.socket.end(maskedFrame(OP_CLOSE, payload.subarray(0, 2)));
        return;
      }
    }
    if (at < data.length) this.pending = Buffer.from(data.subarray(at));
  }
}

/** A final, masked client frame (payloads here are small: control and subscribe messages); `first` is the opcode with any RSV bits. */
export function maskedFrame(first: number, payload: Buffer): Buffer {
  const length = payload.length;
  const header = length < 126 ? 2 : 4;
  const frame = Buffer.allocUnsafe(header + 4 + length);
  frame[0] = 0x80 | first;
  if (length < 126) frame[1] = 0x80 | length;
  else {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  }
  const mask = randomBytes(4);
  mask.copy(frame, header);
  for (let i = 0; i < length; i++) frame[header + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return frame;
}
