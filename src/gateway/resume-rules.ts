// The rules that make a resume exact, in one place:
// - overlap: a connection never holds two subscriptions that can match the
//   same channel. A message names only its channel, so with overlapping
//   subscriptions a client could not tell which subscription's position it
//   advances (counting it for both loses messages on resume, counting it for
//   one duplicates them). Refusing the overlap keeps "the newest seq received
//   on a subscription is a safe resume position" true, and keeps the
//   delivery path free of de-duplication.
// - seam: the position a subscription goes live at. Replayed (or latest)
//   messages cover everything up to it; held live messages newer than it
//   follow the `subscribed` answer; anything at or below it is never sent
//   twice (a NATS history read can run ahead of the live consumer).
import { patternsIntersect } from '@odin-gateway/client/channels';
import type { ClientConnection } from './client-connection.js';

/** The pattern of a subscription of `conn`, other than `pattern` itself, that can match a channel `pattern` matches. O(subscriptions). */
export function overlappingSubscription(conn: ClientConnection, pattern: string): string | undefined {
  for (const sub of conn.subscriptionList()) {
    if (sub.pattern !== pattern && patternsIntersect(sub.pattern, pattern)) return sub.pattern;
  }
  return undefined;
}

/** The seam: the newer of the broker's position at the read and the newest message sent before `subscribed`. */
export function seamOf(positionSeq: number, newestSentSeq: number): number {
  return Math.max(positionSeq, newestSentSeq);
}
