// The slow-client policy `conflate` (--slow-client conflate, docs/protocol.md
// "Conflation"): a live subscription whose connection is over its byte budget
// when a batch is due is switched to conflation at SLOW_CLIENT_CONFLATE_MS
// instead of the connection being closed with 4000. The batch it could not
// take goes into its conflation window (counted in the first `skipped`), the
// client is told with a `conflating` message, and from then on it receives at
// most one message per channel per interval, sent only when it has drained:
// server memory per subscription is one message per channel. What cannot be
// conflated (event channels) still closes with 4000.
import type { BrokerMessage } from '../../broker/broker.js';
import { isConflatable, SLOW_CLIENT_CONFLATE_MS } from '../../protocol/conflation-rules.js';
import type { SubscriptionHub } from '../subscription-hub.js';
import type { Subscription } from '../subscription.js';
import type { ConflationHub } from './conflation-hub.js';

export type SlowClientPolicy = 'close' | 'conflate';

/** Reports each switch. */
export interface SlowSwitchObserver {
  switchedToConflation(sub: Subscription, intervalMs: number): void;
}

/** Moves `sub` from the live hub to conflation with the messages it was not sent; false when it cannot be conflated. */
export function switchToConflation(hub: SubscriptionHub, conflation: ConflationHub, observer: SlowSwitchObserver, sub: Subscription, unsent: readonly BrokerMessage[]): boolean {
  if (!isConflatable(sub.pattern)) return false;
  hub.remove(sub);
  sub.switchToConflation(SLOW_CLIENT_CONFLATE_MS);
  conflation.adoptLive(
    sub,
    unsent.filter((m) => m.seq > sub.lastSeq),
  );
  sub.conn.send({ type: 'conflating', channel: sub.pattern, conflate: SLOW_CLIENT_CONFLATE_MS });
  observer.switchedToConflation(sub, SLOW_CLIENT_CONFLATE_MS);
  return true;
}
