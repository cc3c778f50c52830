// Builds a complete server-to-client WebSocket text frame (header + payload)
// in one buffer, once per batch. The same bytes are then written to every
// subscriber's socket: no per-client encoding, framing or copying, and one
// write (one syscall when the socket is idle) per client per batch.
// Server frames are never masked (RFC 6455 §5.1), so the bytes are shareable.

export function textFrame(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x81; // FIN + opcode 1 (text)
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
  frame.write(text, headerLength, 'utf8');
  return frame;
}
