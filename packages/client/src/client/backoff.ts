// Exponential backoff with jitter: after the n-th failed attempt wait about
// base * 2^n (capped), randomised so that many clients cut off at once do not
// come back at the same instant.

export interface BackoffOptions {
  /** Delay before the first retry, ms. Default 500. */
  baseMs: number;
  /** Largest delay, ms. Default 30,000. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000 };

/**
 * The delay before retry number `attempt` (0-based): "equal jitter", i.e.
 * half the exponential delay plus a random part of the other half, so the
 * delay still grows but no two clients share it.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const exponential = Math.min(options.maxMs, options.baseMs * Math.pow(2, Math.min(attempt, 30)));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
