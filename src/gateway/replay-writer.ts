// Writes a subscription's replay (or latest values) under flow control: in
// frames of about 64 KiB, each written only once the socket has drained to a
// low-water mark. A replay therefore never queues more than about half the
// connection's byte budget, however large the backlog, and a client that
// reads at any ordinary pace always gets through it. Between chunks the event
// loop serves everyone else. Live messages for the subscription are held
// meanwhile (counted in the same budget); a client too slow for both is
// closed with 4000 and resumes from the last replayed message it processed.
//
// History comes page by page (Broker.historyPage): the next page is read
// only once the previous one is written and the socket has drained, so what
// the server holds for a replaying connection is its byte budget plus one
// page, whatever the backlog or the pattern.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Broker, BrokerMessage, HistoryPage } from '../broker/broker.js';
import type { ClientConnection } from './client-connection.js';
import type { SubscriptionHub } from './subscription-hub.js';
import type { Subscription } from './subscription.js';

/** Messages per frame batch: frames are built lazily, a chunk at a time, never a whole page as frames. */
const CHUNK = 256;
/** The smallest history page a replay asks for. */
const MIN_PAGE_BYTES = 16 * 1024;

/** How a paged replay ended. */
export type ReplayEnd =
  /** Every page written: `replayed` messages, the newest of them `newestSeq` (0 when none). */
  | { kind: 'done'; replayed: number; newestSeq: number }
  /** The connection or the subscription closed first. */
  | { kind: 'closed' }
  /** History after what was written was removed before the replay got to it (slower than retention). */
  | { kind: 'lost'; replayed: number }
  /** A later page could not be read (the broker is unreachable). */
  | { kind: 'unavailable'; replayed: number; error: unknown };

/** The byte bound of one history page for a connection: half its budget (the other half is the socket's low-water mark). */
export function replayPageBytes(conn: ClientConnection): number {
  return Math.max(MIN_PAGE_BYTES, Math.floor(conn.writer.budgetBytes / 2));
}

/** What is written for a page's messages, when not the messages themselves (a conflated resume). */
export type PageShape = (messages: readonly BrokerMessage[]) => BrokerMessage[];

/**
 * Writes `first` (a recovered history page) and every page after it, each
 * read only once the one before is written and the socket has drained.
 * `replayed` counts what was written (after `shape`); `newestSeq` is the
 * newest seq the pages covered.
 */
export async function writeHistoryReplay(hub: SubscriptionHub, broker: Broker, conn: ClientConnection, sub: Subscription, first: HistoryPage, shape?: PageShape): Promise<ReplayEnd> {
  const lowWater = Math.floor(conn.writer.budgetBytes / 2);
  let page = first;
  let replayed = 0;
  let newestSeq = 0;
  for (;;) {
    const sent = shape ? shape(page.messages) : page.messages;
    if (!(await writeReplay(hub, conn, sub, sent))) return { kind: 'closed' };
    replayed += sent.length;
    newestSeq = page.messages[page.messages.length - 1]?.seq ?? newestSeq;
    if (page.complete || !page.next) return { kind: 'done', replayed, newestSeq };
    if (!(await conn.writer.drained(lowWater)) || !conn.isOpen || sub.isClosed) return { kind: 'closed' };
    try {
      page = await broker.historyPage(sub.pattern, page.next, { maxBytes: replayPageBytes(conn) });
    } catch (error) {
      return { kind: 'unavailable', replayed, error };
    }
    if (!conn.isOpen || sub.isClosed) return { kind: 'closed' };
    if (!page.recovered) return { kind: 'lost', replayed };
  }
}

/** Writes `messages` to `sub`'s connection; false when the connection or subscription closed first. */
export async function writeReplay(hub: SubscriptionHub, conn: ClientConnection, sub: Subscription, messages: readonly BrokerMessage[]): Promise<boolean> {
  if (messages.length === 0) return conn.isOpen && !sub.isClosed;
  const lowWater = Math.floor(conn.writer.budgetBytes / 2);
  for (let i = 0; i < messages.length; i += CHUNK) {
    for (const frame of hub.batch(messages.slice(i, i + CHUNK)).framesFor(conn)) {
      if (!(await conn.writer.drained(lowWater))) return false;
      if (!conn.isOpen || sub.isClosed) return false;
      if (!conn.writeFrame(frame)) return false;
    }
    sub.wroteUpTo(messages[Math.min(i + CHUNK, messages.length) - 1]!.seq);
    // Let every other connection's I/O run between chunks, even when this socket never pushes back.
    if (i + CHUNK < messages.length) await nextTurn();
  }
  return conn.isOpen && !sub.isClosed;
}
