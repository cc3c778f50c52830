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

/**
 * Whose fault a code reports. `client`: the client sent something wrong or
 * too much (it spends the connection's abuse budget; the client should fix
 * itself). `server`: the server could not do what was asked (a broker outage,
 * a request Odin does not offer, a restart): never counted against the
 * client. The abuse budget is derived from this table, nowhere else.
 */
export type Fault = 'client' | 'server';

export const errorFault: Readonly<Record<ErrorCode, Fault>> = {
  INVALID_JSON: 'client',
  INVALID_MESSAGE: 'client',
  UNKNOWN_TYPE: 'client',
  BINARY_NOT_SUPPORTED: 'client',
  INVALID_CHANNEL: 'client',
  FORBIDDEN: 'client',
  TOO_MANY_SUBSCRIPTIONS: 'client',
  OVERLAPPING_SUBSCRIPTION: 'client',
  RATE_LIMIT_EXCEEDED: 'client',
  HISTORY_UNAVAILABLE: 'server',
  // The reference protocol's own resume request: a known request Odin does not offer, not misbehaviour.
  REPLAY_NOT_SUPPORTED: 'server',
  INVALID_TOKEN: 'client',
  TOKEN_SUBJECT_MISMATCH: 'client',
  NOT_CONFLATABLE: 'client',
};

/** True when an error of this code spends the connection's abuse budget: client faults only. */
export function spendsAbuseBudget(code: ErrorCode): boolean {
  return errorFault[code] === 'client';
}

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

/** Whose fault each close code reports (see `Fault`). */
export const closeFault: Readonly<Record<keyof typeof CloseCode, Fault>> = {
  SERVER_SHUTDOWN: 'server',
  PROTOCOL_ERROR: 'client',
  INVALID_PAYLOAD: 'client',
  POLICY_VIOLATION: 'client',
  MESSAGE_TOO_BIG: 'client',
  INTERNAL_ERROR: 'server',
  HISTORY_RESET: 'server',
  TRY_AGAIN_LATER: 'server',
  // Too slow to read what it asked for: the client's side (its network or its reader).
  SLOW_CLIENT: 'client',
  KEEPALIVE_TIMEOUT: 'client',
  UNAUTHORIZED: 'client',
  // An application decision through the server API, not the client's doing.
  DISCONNECTED_BY_SERVER: 'server',
  DRAINING: 'server',
};

/** The stable name of a close code, used as a metric label and in logs. */
export function closeCodeName(code: number): string {
  for (const [name, value] of Object.entries(CloseCode)) if (value === code) return name;
  if (code === 1000) return 'NORMAL';
  if (code === 1005) return 'NO_STATUS';
  if (code === 1006) return 'ABNORMAL';
  return `CODE_${code}`;
}

export const PROTOCOL_VERSION = 1;
