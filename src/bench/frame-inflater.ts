// Inflates permessage-deflate frames (RFC 7692) on the load generator's side,
// synchronously: the payload plus the 00 00 ff ff tail the sender removed.
// Without server context takeover (Odin: every frame deflated on its own) a
// frame inflates alone. With it (ws's per-connection deflate stream) a frame
// may refer back into earlier messages: the last 32 KiB of output are handed
// to a fresh raw inflater as its dictionary, which is exactly the window the
// sender's stream had at that block boundary.
import { constants, inflateRawSync } from 'node:zlib';

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
/** The largest deflate window (server_max_window_bits=15). */
const WINDOW_BYTES = 32 * 1024;

export class FrameInflater {
  private window: Buffer | undefined;

  constructor(readonly contextTakeover: boolean) {}

  inflate(payload: Buffer): Buffer {
    const input = Buffer.concat([payload, TAIL]);
    const out = inflateRawSync(input, { finishFlush: constants.Z_SYNC_FLUSH, ...(this.window ? { dictionary: this.window } : {}) });
    if (this.contextTakeover) {
      const joined = this.window ? Buffer.concat([this.window, out]) : out;
      this.window = joined.length > WINDOW_BYTES ? Buffer.from(joined.subarray(joined.length - WINDOW_BYTES)) : joined;
    }
    return out;
  }
}

/** What the server answered in Sec-WebSocket-Extensions: deflate or not, and whether it keeps its context between messages. */
export function parseDeflateAnswer(headers: string): { deflate: boolean; serverContextTakeover: boolean } {
  const line = /^sec-websocket-extensions:(.*)$/im.exec(headers)?.[1] ?? '';
  const deflate = /permessage-deflate/i.test(line);
  return { deflate, serverContextTakeover: deflate && !/server_no_context_takeover/i.test(line) };
}
