// The close codes the SDK acts on: the protocol's (src/protocol/codes.ts,
// served to browsers at /protocol/) plus the standard ones a client also sees.
import { CloseCode as ProtocolCloseCode } from '../protocol/codes.js';

export const CloseCode = {
  NORMAL: 1000,
  ABNORMAL: 1006,
  ...ProtocolCloseCode,
} as const;

/** Used by the client when it drops a connection itself (heartbeat timeout, `reconnect()`): a code a client may send. */
export const CLIENT_DROP_CODE = 4100;
