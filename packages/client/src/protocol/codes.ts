// Every code a client can see. docs/protocol.md documents each one; a test
// checks that the document names them all.

/** Error codes carried by `{type:"error", code}` replies. */
export const ErrorCode = {
  INVALID_JSON: 'INVALID_JSON',
  INVALID_MESSAGE: 'INVALID_MESSAGE',
  UNKNOWN_TYPE: 'UNKNOWN_TYPE',
  BINARY_NOT_SUPPORTED: 'BINARY_NOT_SUPPORTED',
  INVALID_CHANNEL: 'INVALID_CHANNEL',
  FORBIDDEN: 'FORBIDDEN',
  TOO_MANY_SUBSCRIPTIONS: 'TOO_MANY_SUBSCRIPTIONS',
  OVERLAPPING_SUBSCRIPTION: 'OVERLAPPING_SUBSCRIPTION',
  RATE_LIMIT_EXCEEDED: 'RATE_LIMIT_EXCEEDED',
  HISTORY_UNAVAILABLE: 'HISTORY_UNAVAILABLE',
  REPLAY_NOT_SUPPORTED: 'REPLAY_NOT_SUPPORTED',
  INVALID_TOKEN: 'INVALID_TOKEN',
  TOKEN_SUBJECT_MISMATCH: 'TOKEN_SUBJECT_MISMATCH',
  /** `conflate` on a channel (or a pattern that can match one) whose messages are events: every one counts. */
  NOT_CONFLATABLE: 'NOT_CONFLATABLE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** WebSocket close codes with the advice a client should follow. */
export const CloseCode = {
  SERVER_SHUTDOWN: 1001,
  /** A frame broke RFC 6455 (bad opcode, RSV bits without an extension, unmasked, ...). */
  PROTOCOL_ERROR: 1002,
  /** A message that is not valid UTF-8, or compressed data that does not inflate. */
  INVALID_PAYLOAD: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  HISTORY_RESET: 1012,
  TRY_AGAIN_LATER: 1013,
  SLOW_CLIENT: 4000,
  KEEPALIVE_TIMEOUT: 4001,
  UNAUTHORIZED: 4003,
  /** A backend asked for it (server API `POST /api/disconnect`). */
  DISCONNECTED_BY_SERVER: 4004,
  /** The instance is draining for a deploy: move to another instance now and resume (the server spreads these closes over its drain time). */
  DRAINING: 4005,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** The stable name of a close code, used as a metric label and in logs. */
export function closeCodeName(code: number): string {
  for (const [name, value] of Object.entries(CloseCode)) if (value === code) return name;
  if (code === 1000) return 'NORMAL';
  if (code === 1005) return 'NO_STATUS';
  if (code === 1006) return 'ABNORMAL';
  return `CODE_${code}`;
}

export const PROTOCOL_VERSION = 1;
