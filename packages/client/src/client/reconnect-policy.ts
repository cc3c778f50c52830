// What to do after a connection closes, by close code (docs/protocol.md,
// "Close codes"): resume at once after SLOW_CLIENT or DRAINING, spread reconnects after a
// shutdown, back off on capacity and errors, wait long after a policy
// violation, and stop on UNAUTHORIZED unless a fresh token can be fetched.
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { CloseCode } from './close-codes.js';

export interface ReconnectOptions extends BackoffOptions {
  /** Wait after 1002 PROTOCOL_ERROR, 1007 INVALID_PAYLOAD, 1008 POLICY_VIOLATION or 1009 MESSAGE_TOO_BIG, ms: the client's own input was refused. Default 60,000. */
  policyDelayMs: number;
  /** Least wait after 1013 TRY_AGAIN_LATER (at capacity), ms. Default 2,000. */
  capacityMinDelayMs: number;
}

export const DEFAULT_RECONNECT: ReconnectOptions = { baseMs: 500, maxMs: 30_000, policyDelayMs: 60_000, capacityMinDelayMs: 2000 };

export type ReconnectAdvice = { reconnect: true; delayMs: number } | { reconnect: false; reason: string };

/**
 * @param attempt reconnects tried since the last stable connection (0 = first)
 * @param canRefreshToken true when the app gave a token function, so 4003 can be retried with a new token
 */
export function adviseReconnect(code: number, attempt: number, canRefreshToken: boolean, options: ReconnectOptions = DEFAULT_RECONNECT, random: () => number = Math.random): ReconnectAdvice {
  const backoff = backoffDelay(attempt, options, random);
  switch (code) {
    case CloseCode.UNAUTHORIZED:
      if (!canRefreshToken) return { reconnect: false, reason: 'UNAUTHORIZED: the token was refused; give a new one before connecting again' };
      return { reconnect: true, delayMs: Math.max(backoff, 1000) };
    case CloseCode.DISCONNECTED_BY_SERVER:
      // A backend kicked this user on purpose: coming straight back would undo it.
      return { reconnect: false, reason: 'DISCONNECTED_BY_SERVER: the server closed this user\'s connections on purpose' };
    case CloseCode.POLICY_VIOLATION:
    case CloseCode.MESSAGE_TOO_BIG:
    case CloseCode.PROTOCOL_ERROR:
    case CloseCode.INVALID_PAYLOAD:
      // The client sent something it will send again: coming straight back would only repeat it.
      return { reconnect: true, delayMs: Math.round(options.policyDelayMs * (0.75 + random() * 0.5)) };
    case CloseCode.TRY_AGAIN_LATER:
      return { reconnect: true, delayMs: Math.max(backoff, options.capacityMinDelayMs) };
    case CloseCode.SLOW_CLIENT:
      // Nothing is lost: resume at once, but back off if it keeps happening.
      return { reconnect: true, delayMs: attempt === 0 ? Math.round(random() * 100) : backoff };
    case CloseCode.DRAINING:
      // The server already spread its clients' closes over its drain time: move now (a few ms of jitter), resume.
      return { reconnect: true, delayMs: attempt === 0 ? Math.round(random() * 50) : backoff };
    case CloseCode.SERVER_SHUTDOWN:
    case CloseCode.HISTORY_RESET:
      // Every client of the instance hears this at once: spread them out.
      return { reconnect: true, delayMs: attempt === 0 ? Math.round(random() * 1000) : backoff };
    default:
      return { reconnect: true, delayMs: backoff };
  }
}
