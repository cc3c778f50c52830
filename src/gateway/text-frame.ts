// Builds complete server-to-client WebSocket frames (header + payload) in one
// buffer, once per batch. The same bytes are then written to every
// subscriber's socket: no per-client encoding, framing or copying, and one
// write (one syscall when the socket is idle) per client per batch.
// Server frames are never masked (RFC 6455 §5.1), so the bytes are shareable.

/** FIN + opcode 1 (text). */
const TEXT = 0x81;
/** FIN + RSV1 (compressed, RFC 7692) + opcode 1 (text). */
const COMPRESSED_TEXT = 0xc1;

function header(first: number, length: number): Buffer {
  const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = first;
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(0, 2);
    frame.writeUInt32BE(length, 6);
  }
  return frame;
}

export function textFrame(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const frame = header(TEXT, length);
  frame.write(text, frame.length - length, 'utf8');
  return frame;
}

/** A text frame whose payload is already deflated (RFC 7692: RSV1 set). */
export function compressedTextFrame(deflated: Buffer): Buffer {
  const frame = header(COMPRESSED_TEXT, deflated.length);
  deflated.copy(frame, frame.length - deflated.length);
  return frame;
}

/** The payload of a frame built by this module (its header skipped). */
export function framePayload(frame: Buffer): Buffer {
  const second = frame[1]!;
  return frame.subarray(second < 126 ? 2 : second === 126 ? 4 : 10);
}
