// One subscription of one connection to a channel or a wildcard pattern.
import type { BrokerMessage } from '../broker/broker.js';
import type { ClientConnection } from './client-connection.js';

export class Subscription {
  /**
   * While the subscription is being set up (history or latest value being
   * read), live messages wait here so that none is lost or duplicated at the
   * seam. null once live.
   */
  pending: BrokerMessage[] | null = [];
  pendingBytes = 0;
  /**
   * The subscription has delivered every matching message with
   * from <= seq <= lastSeq (Infinity until it is live). Used to de-duplicate
   * overlapping subscriptions of one connection.
   */
  from = Infinity;
  lastSeq = 0;

  constructor(
    readonly conn: ClientConnection,
    readonly pattern: string,
    readonly wildcard: boolean,
  ) {}
}
