// WebSocket-level errors from a client (ws emits 'error', then closes the
// connection with the code the RFC asks for) under stable names: the metric
// label and log code never carry a library's own identifiers, and the close
// is recorded as the server's.
import { CloseCode } from '@odin-gateway/client/codes';

export interface SocketErrorName {
  /** `ws_client_errors_total{code}` and the log's code. */
  readonly code: 'MESSAGE_TOO_BIG' | 'INVALID_UTF8' | 'INVALID_COMPRESSED_DATA' | 'PROTOCOL_ERROR' | 'SOCKET_ERROR';
  /** The close code ws sends for it; undefined for transport errors (reset, broken pipe). */
  readonly close: CloseCode | undefined;
}

export function socketErrorName(err: Error & { code?: string }): SocketErrorName {
  const code = err.code ?? '';
  if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' || code === 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH') return { code: 'MESSAGE_TOO_BIG', close: CloseCode.MESSAGE_TOO_BIG };
  if (code === 'WS_ERR_INVALID_UTF8') return { code: 'INVALID_UTF8', close: CloseCode.INVALID_PAYLOAD };
  // zlib's own codes (Z_DATA_ERROR, Z_BUF_ERROR, ...): a permessage-deflate payload that does not inflate.
  if (code.startsWith('Z_')) return { code: 'INVALID_COMPRESSED_DATA', close: CloseCode.INVALID_PAYLOAD };
  if (code.startsWith('WS_ERR_')) return { code: 'PROTOCOL_ERROR', close: CloseCode.PROTOCOL_ERROR };
  return { code: 'SOCKET_ERROR', close: undefined };
}
