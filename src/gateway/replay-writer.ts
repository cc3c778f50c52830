// Writes a subscription's replay (or latest values) under flow control: in
// frames of about 64 KiB, each written only once the socket has drained to a
// low-water mark. A replay therefore never queues more than about half the
// connection's byte budget, however large the backlog, and a client that
// reads at any ordinary pace always gets through it. Between chunks the event
// loop serves everyone else. Live messages for the subscription are held
// meanwhile (counted in the same budget); a client too slow for both is
// closed with 4000 and resumes from the last replayed message it processed.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { BrokerMessage } from '../broker/broker.js';
import type { ClientConnection } from './client-connection.js';
import type { SubscriptionHub } from './subscription-hub.js';
import type { Subscription } from './subscription.js';

/** Writes `messages` to `sub`'s connection; false when the connection or subscription closed first. */
export async function writeReplay(hub: SubscriptionHub, conn: ClientConnection, sub: Subscription, messages: readonly BrokerMessage[]): Promise<boolean> {
  if (messages.length === 0) return conn.isOpen && !sub.isClosed;
  const lowWater = Math.floor(conn.writer.budgetBytes / 2);
  // Frames are built lazily, a chunk of messages at a time, so a large replay is never all in memory as frames.
  const CHUNK = 256;
  for (let i = 0; i < messages.length; i += CHUNK) {
    for (const frame of hub.batch(messages.slice(i, i + CHUNK)).framesFor(conn)) {
      if (!(await conn.writer.drained(lowWater))) return false;
      if (!conn.isOpen || sub.isClosed) return false;
      if (!conn.writeFrame(frame)) return false;
    }
    sub.lastSeq = Math.max(sub.lastSeq, messages[Math.min(i + CHUNK, messages.length) - 1]!.seq);
    // Let every other connection's I/O run between chunks, even when this socket never pushes back.
    if (i + CHUNK < messages.length) await nextTurn();
  }
  return conn.isOpen && !sub.isClosed;
}
