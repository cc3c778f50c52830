// Conflation, the protocol side (docs/protocol.md, "Conflation"): which
// intervals a client may ask for, the buckets they are rounded to, and which
// channels may be conflated at all. Shared by the gateway, the SDK and the
// SSE endpoint, so they never disagree.
import { patternsIntersect } from '@odin-gateway/client/channels';

export const MIN_CONFLATE_MS = 100;
export const MAX_CONFLATE_MS = 60_000;

/**
 * The intervals the gateway runs. A requested interval is rounded up to the
 * next one, so "at most one message per channel per requested interval"
 * still holds, and every subscriber of a bucket shares one frame per tick.
 */
export const CONFLATE_BUCKETS_MS = [100, 250, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000] as const;

/** The interval the slow-client policy `conflate` switches a slow connection's subscriptions to. */
export const SLOW_CLIENT_CONFLATE_MS = 1000;

/** The bucket a requested interval (MIN_CONFLATE_MS..MAX_CONFLATE_MS) runs at. */
export function conflateBucket(requestedMs: number): number {
  for (const bucket of CONFLATE_BUCKETS_MS) if (requestedMs <= bucket) return bucket;
  return MAX_CONFLATE_MS;
}

/**
 * Channels whose messages are events, not states: every one matters (a
 * trade), so they are never conflated. A pattern that can match one is
 * refused too.
 */
export const EVENT_CHANNEL_PATTERNS = ['trades.>'] as const;

/** May a subscription to `pattern` be conflated? False when it can match an event channel. */
export function isConflatable(pattern: string): boolean {
  for (const events of EVENT_CHANNEL_PATTERNS) if (patternsIntersect(pattern, events)) return false;
  return true;
}
