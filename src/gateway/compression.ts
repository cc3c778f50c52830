// permessage-deflate (RFC 7692) the encode-once way. ws negotiates the
// extension (so browsers' default offer is accepted) with
// server_no_context_takeover, but never compresses anything itself
// (threshold: Infinity): batch frames are compressed once each by
// FrameBatch and the same bytes go to every compressing client, so a
// compressing connection costs no deflate context. Client-to-server frames
// may arrive compressed (browsers compress all they send); ws inflates each
// with a context it creates for the message, and the gateway frees it once
// the message is handled (releaseInflater), so an idle browser holds none.
import type { IncomingMessage } from 'node:http';
import type { PerMessageDeflateOptions, WebSocketServer } from 'ws';
import { DEFLATE_WINDOW_BITS } from './frame-batch.js';

export function deflateNegotiation(enabled: boolean): PerMessageDeflateOptions | false {
  if (!enabled) return false;
  return {
    serverNoContextTakeover: true,
    clientNoContextTakeover: true,
    threshold: Infinity,
    concurrencyLimit: 1,
  };
}

/** The Sec-WebSocket-Extensions answer ws gave each upgrade (ws exposes only the names afterwards). */
const negotiated = new WeakMap<IncomingMessage, string>();

/** Records each upgrade's negotiated extensions, from the response headers ws is about to send. */
export function recordNegotiation(wss: WebSocketServer): void {
  wss.on('headers', (headers: string[], req: IncomingMessage) => {
    for (const line of headers) {
      if (line.toLowerCase().startsWith('sec-websocket-extensions:')) negotiated.set(req, line.slice(line.indexOf(':') + 1));
    }
  });
}

/**
 * Did this upgrade negotiate permessage-deflate with a window our shared
 * compressor fits in? A client that asked for a smaller server window gets
 * plain frames (always allowed: RSV1 is per message).
 */
export function usesSharedDeflate(req: IncomingMessage): boolean {
  const answer = negotiated.get(req);
  if (answer === undefined || !answer.includes('permessage-deflate')) return false;
  const bits = /server_max_window_bits=(\d+)/.exec(answer);
  return bits === null || Number(bits[1]) >= DEFLATE_WINDOW_BITS;
}
