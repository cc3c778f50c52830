// Inflates permessage-deflate frames (RFC 7692) on the load generator's
// side: the payload plus the 00 00 ff ff tail the sender removed. Without
// server context takeover (Odin: every frame deflated on its own) a frame
// inflates alone, synchronously. With it (ws's per-connection deflate
// stream) a frame may refer back into earlier messages, so the connection
// keeps an inflate stream of its own, fed one frame at a time, in order
// (asynchronous, on libuv's thread pool, as ws does: a fresh inflater with
// the last 32 KiB as its dictionary would do it synchronously but costs
// ~200 us a frame, which would make the generator the bottleneck).
import { constants, createInflateRaw, deflateRawSync, inflateRawSync, type InflateRaw } from 'node:zlib';

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** One frame deflated on its own (no context takeover). */
export function inflateFrame(payload: Buffer): Buffer {
  return inflateRawSync(Buffer.concat([payload, TAIL]), { finishFlush: constants.Z_SYNC_FLUSH });
}

/** Deflates one client message on its own (client_no_context_takeover), the tail removed. */
export function deflateFrame(payload: Buffer): Buffer {
  const out = deflateRawSync(payload, { finishFlush: constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

/** A connection's inflate stream (server context takeover): frames in, texts out, in order. */
export class StreamInflater {
  private readonly stream: InflateRaw = createInflateRaw();
  private readonly output: Buffer[] = [];
  private readonly queue: Array<{ payload: Buffer; done: (text: Buffer) => void }> = [];
  private busy = false;
  private closed = false;

  constructor(private readonly onError: (err: Error) => void) {
    this.stream.on('data', (chunk: Buffer) => this.output.push(chunk));
    this.stream.on('error', (err: Error) => {
      this.closed = true;
      onError(err);
    });
  }

  /** Inflates `payload` after every frame before it; `done` gets its text (never after `close`). */
  inflate(payload: Buffer, done: (text: Buffer) => void): void {
    if (this.closed) return;
    // The payload may be a view into a socket chunk: copy, it is read later.
    this.queue.push({ payload: Buffer.concat([payload, TAIL]), done });
    if (!this.busy) this.next();
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.stream.close();
  }

  private next(): void {
    const item = this.queue.shift();
    if (!item || this.closed) {
      this.busy = false;
      return;
    }
    this.busy = true;
    this.stream.write(item.payload);
    this.stream.flush(constants.Z_SYNC_FLUSH, () => {
      if (this.closed) return;
      const text = Buffer.concat(this.output.splice(0));
      item.done(text);
      this.next();
    });
  }
}

/** What the server answered in Sec-WebSocket-Extensions: deflate or not, and whether it keeps its context between messages. */
export function parseDeflateAnswer(headers: string): { deflate: boolean; serverContextTakeover: boolean } {
  const line = /^sec-websocket-extensions:(.*)$/im.exec(headers)?.[1] ?? '';
  const deflate = /permessage-deflate/i.test(line);
  return { deflate, serverContextTakeover: deflate && !/server_no_context_takeover/i.test(line) };
}
