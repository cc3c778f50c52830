// Merges consecutive book messages of one channel (as clients receive them,
// in stream order) into one message a client can apply instead, with the
// checksum of the last: for conflation, which sends one message for many.
// Updates merge level by level, the last change of a price winning; a
// snapshot among them makes the result a snapshot (the book after them all).
import type { BookData, Level } from './book-message.js';
import { foldBookData } from './book-fold.js';
import { OrderBook } from './order-book.js';

/** `messages` in stream order, each with its checksum (as the gateway delivers them). */
export function mergeBookMessages(messages: readonly BookData[]): BookData {
  if (messages.length === 0) throw new RangeError('mergeBookMessages needs at least one message');
  const last = messages[messages.length - 1]!;
  let lastSnapshot = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]!.kind === 'snapshot') {
      lastSnapshot = i;
      break;
    }
  }
  if (lastSnapshot >= 0) {
    const book = new OrderBook();
    for (let i = lastSnapshot; i < messages.length; i++) foldBookData(book, messages[i]!);
    return { kind: 'snapshot', bids: book.bids.slice(), asks: book.asks.slice(), ...(last.checksum !== undefined ? { checksum: last.checksum } : {}) };
  }
  const bids = new Map<string, Level>();
  const asks = new Map<string, Level>();
  for (const m of messages) {
    for (const l of m.bids) setLast(bids, l);
    for (const l of m.asks) setLast(asks, l);
  }
  return { kind: 'update', bids: [...bids.values()], asks: [...asks.values()], ...(last.checksum !== undefined ? { checksum: last.checksum } : {}) };
}

/** The last change of a price wins, and keeps the position of that last change. */
function setLast(side: Map<string, Level>, level: Level): void {
  side.delete(level[0]);
  side.set(level[0], level);
}
