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
  /** A name that starts with `odin.` (the NATS subject, not the channel), or in none of the gateway's channel families. */
  UNKNOWN_CHANNEL: 'UNKNOWN_CHANNEL',
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
  UNKNOWN_CHANNEL: 'client',
};

/** True when an error of this code spends the connection's abuse budget: client faults only. */
export function spendsAbuseBudget(code: ErrorCode): boolean {
  return errorFault[code] === 'client';
}

/**
 * Why a token was refused: the reason of close `4003` at connect (and of
 * `TOKEN_EXPIRED` on a live connection), the `reason` of an `INVALID_TOKEN`
 * error answering `auth`, and of the `401` body of `/sse`. Each names what the
 * client (or whoever issues its tokens) can fix; none carries a key, a claim's
 * value, the expected issuer or audience, or the token.
 */
export const TokenReason = {
  /** No token, and the gateway runs with `--auth-required`. */
  TOKEN_REQUIRED: 'TOKEN_REQUIRED',
  /** Not a JWT (not three base64url parts with a JSON header), or longer than 8192 characters. */
  TOKEN_MALFORMED: 'TOKEN_MALFORMED',
  /** The header's `alg` is not one the gateway accepts (`none`, or HS256 where only public keys are configured, ...). */
  TOKEN_ALGORITHM_REFUSED: 'TOKEN_ALGORITHM_REFUSED',
  /** The signature does not verify with any configured key. */
  TOKEN_INVALID_SIGNATURE: 'TOKEN_INVALID_SIGNATURE',
  /** The token's `kid` names no key the gateway has (a JWKS that does not hold it). */
  TOKEN_UNKNOWN_KEY: 'TOKEN_UNKNOWN_KEY',
  /** `exp` is past (give or take the clock tolerance); also the reason a live connection is closed at `exp`. */
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  /** `nbf` or `iat` is in the future (give or take the clock tolerance). */
  TOKEN_NOT_YET_VALID: 'TOKEN_NOT_YET_VALID',
  /** `iss` is missing or not one the gateway accepts. */
  TOKEN_WRONG_ISSUER: 'TOKEN_WRONG_ISSUER',
  /** `aud` is missing or names none of the audiences the gateway accepts. */
  TOKEN_WRONG_AUDIENCE: 'TOKEN_WRONG_AUDIENCE',
  /** A required claim is missing or malformed: `exp` absent, `sub` not 1-64 of [A-Za-z0-9_-], the channels claim not a list of channels. */
  TOKEN_INVALID_CLAIMS: 'TOKEN_INVALID_CLAIMS',
  /** The gateway has no key configured: it accepts no token at all (anonymous connections only). */
  TOKEN_NOT_ACCEPTED: 'TOKEN_NOT_ACCEPTED',
  /** The JWKS URL the token's key comes from could not be fetched: the server's side; retry later. */
  TOKEN_KEYS_UNAVAILABLE: 'TOKEN_KEYS_UNAVAILABLE',
} as const;
export type TokenReason = (typeof TokenReason)[keyof typeof TokenReason];

/** Whose fault each token reason reports (see `Fault`). */
export const tokenReasonFault: Readonly<Record<TokenReason, Fault>> = {
  TOKEN_REQUIRED: 'client',
  TOKEN_MALFORMED: 'client',
  TOKEN_ALGORITHM_REFUSED: 'client',
  TOKEN_INVALID_SIGNATURE: 'client',
  TOKEN_UNKNOWN_KEY: 'client',
  TOKEN_EXPIRED: 'client',
  TOKEN_NOT_YET_VALID: 'client',
  TOKEN_WRONG_ISSUER: 'client',
  TOKEN_WRONG_AUDIENCE: 'client',
  TOKEN_INVALID_CLAIMS: 'client',
  TOKEN_NOT_ACCEPTED: 'server',
  TOKEN_KEYS_UNAVAILABLE: 'server',
};

/** True for a string that is one of the token reasons (a close reason, say). */
export function isTokenReason(value: unknown): value is TokenReason {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(TokenReason, value);
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
