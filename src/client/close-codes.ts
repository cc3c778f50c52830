// The close codes of protocol v1 (docs/protocol.md), repeated here so that the
// SDK loads in a browser without the server's modules. A test checks that they
// equal src/protocol/codes.ts.

export const CloseCode = {
  NORMAL: 1000,
  SERVER_SHUTDOWN: 1001,
  ABNORMAL: 1006,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  HISTORY_RESET: 1012,
  TRY_AGAIN_LATER: 1013,
  SLOW_CLIENT: 4000,
  KEEPALIVE_TIMEOUT: 4001,
  UNAUTHORIZED: 4003,
} as const;

/** Used by the client when it drops a connection itself (heartbeat timeout, `reconnect()`): a code a client may send. */
export const CLIENT_DROP_CODE = 4100;
