// A batch of messages as frames, built once and shared: plain frames for
// every subscriber, and, only when some subscriber negotiated
// permessage-deflate, the same frames compressed once (RFC 7692 with
// server_no_context_takeover: each frame is deflated on its own, so one
// compressed copy serves every compressing client). Frames too small to gain
// stay plain for everyone (RSV1 clear).
import { constants, deflateRawSync } from 'node:zlib';
import type { BrokerMessage } from '../broker/broker.js';
import { encodeDataMessage } from '../protocol/data-message-encoder.js';
import { referenceFrames, type ReferenceSequence } from './reference-protocol.js';
import { compressedTextFrame, framePayload, textFrame } from './text-frame.js';
import type { SseEncoder } from './sse/sse-encoder.js';

/** Batches are split into frames of about this size: bounds memory per write. */
const MAX_BATCH_FRAME_BYTES = 64 * 1024;

/** The deflate window every compressing client must accept (server_max_window_bits). */
export const DEFLATE_WINDOW_BITS = 15;

/** What a connection receives: plain frames, compressed ones at or above a size, or the reference protocol's. */
export interface FrameChoice {
  /** Negotiated permessage-deflate with a window the shared compressor can use. */
  readonly compress: boolean;
  /** Set for reference-protocol connections: one frame per message, numbered per connection. */
  readonly reference: ReferenceSequence | undefined;
  /** Set for SSE connections: events with per-connection cursors, built for it alone. */
  readonly sse?: SseEncoder | undefined;
}

export function encoded(m: BrokerMessage): string {
  return (m.encoded ??= encodeDataMessage(m));
}

/**
 * Deflates a frame's payload the RFC 7692 way: a sync flush, then the
 * trailing 00 00 ff ff removed. undefined when it would not be smaller.
 */
function deflatePayload(payload: Buffer): Buffer | undefined {
  const out = deflateRawSync(payload, { windowBits: DEFLATE_WINDOW_BITS, finishFlush: constants.Z_SYNC_FLUSH });
  const body = out.subarray(0, out.length - 4);
  return body.length < payload.length ? body : undefined;
}

export class FrameBatch {
  readonly plain: Buffer[] = [];
  private compressed: Buffer[] | undefined;
  /** Bytes of the plain frames, and of the frames a compressing client gets. */
  plainBytes = 0;
  compressedBytes = 0;

  constructor(
    private readonly messages: readonly BrokerMessage[],
    private readonly minCompressBytes: number,
  ) {
    let text = '';
    for (const m of messages) {
      const e = encoded(m);
      if (text.length > 0 && text.length + e.length >= MAX_BATCH_FRAME_BYTES) {
        this.plain.push(textFrame(text));
        text = e;
      } else {
        text = text.length === 0 ? e : text + '\n' + e;
      }
    }
    if (text.length > 0) this.plain.push(textFrame(text));
    for (const f of this.plain) this.plainBytes += f.length;
  }

  /**
   * The frames for a connection: compressed ones (built on first use, once)
   * when it negotiated deflate; the reference protocol's, built for it alone.
   */
  framesFor(conn: FrameChoice): Buffer[] {
    if (conn.reference) return referenceFrames(this.messages, conn.reference);
    if (conn.sse) return conn.sse.events(this.messages);
    return conn.compress ? this.deflated() : this.plain;
  }

  /** Bytes of frames returned by framesFor. */
  bytesOf(frames: Buffer[]): number {
    if (frames === this.plain) return this.plainBytes;
    if (frames === this.compressed) return this.compressedBytes;
    let bytes = 0;
    for (const f of frames) bytes += f.length;
    return bytes;
  }

  private deflated(): Buffer[] {
    if (this.compressed) return this.compressed;
    const out: Buffer[] = [];
    let bytes = 0;
    for (const frame of this.plain) {
      const payload = framePayload(frame);
      const body = payload.length >= this.minCompressBytes ? deflatePayload(payload) : undefined;
      const f = body ? compressedTextFrame(body) : frame;
      out.push(f);
      bytes += f.length;
    }
    this.compressed = out;
    this.compressedBytes = bytes;
    return out;
  }
}
