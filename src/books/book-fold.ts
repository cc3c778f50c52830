// Folding one book message into a book: the one place levels change. Used by
// the gateway (once per message per channel, never per client), by the SDK
// and by the load tool, so they all agree.
//
// An update's output lists the publisher's level changes and, after them,
// "refills": levels whose qty did not change but that moved into the top 10,
// 25 or 100 because a level above them was removed. A client holding only the
// top N of a side (it subscribed with `depth` N and truncates after each
// message) needs them to keep its top N complete; for a client holding more
// they change nothing (the level is already there with that qty).
import type { BookData, Level } from './book-message.js';
import { MAX_BOOK_LEVELS, type OrderBook, type Side } from './order-book.js';

/** The depths a subscriber may hold below "all" (MAX_BOOK_LEVELS): updates carry what each needs. */
export const BOOK_DEPTHS = [10, 25, 100] as const;
const DEEPEST_WINDOW = 100;

export interface FoldResult {
  kind: BookData['kind'];
  /** What a client receives: the levels of a snapshot, or the changes then refills of an update. */
  bids: Level[];
  asks: Level[];
  /** The checksum of the book after the message. */
  checksum: number;
  crossed: boolean;
}

/** Applies `data` (validated) to `book` and returns what clients receive. */
export function foldBookData(book: OrderBook, data: BookData): FoldResult {
  if (data.kind === 'snapshot') {
    book.replace(data.bids, data.asks);
    return { kind: 'snapshot', bids: book.bids.slice(), asks: book.asks.slice(), checksum: book.checksum(), crossed: book.crossed() };
  }
  const bids = foldSide(book, 'bids', data.bids);
  const asks = foldSide(book, 'asks', data.asks);
  return { kind: 'update', bids, asks, checksum: book.checksum(), crossed: book.crossed() };
}

function foldSide(book: OrderBook, side: Side, changes: readonly Level[]): Level[] {
  if (changes.length === 0) return [];
  const levels = book[side];
  // The old top ranks, only copied when a change may move them (cheap: up to 100 references).
  const before = levels.slice(0, DEEPEST_WINDOW);
  let movedAt = MAX_BOOK_LEVELS;
  for (const change of changes) {
    const at = book.apply(side, change);
    if (at >= 0 && at < movedAt) movedAt = at;
  }
  if (movedAt >= DEEPEST_WINDOW) return changes.slice();
  return changes.concat(refills(before, levels, changes));
}

/** Levels now in a top-N window (N in BOOK_DEPTHS) that were below it before, and not in `changes`. */
function refills(before: readonly Level[], after: readonly Level[], changes: readonly Level[]): Level[] {
  const oldRank = new Map<string, number>();
  for (let i = 0; i < before.length; i++) oldRank.set(before[i]![0], i);
  const changed = new Set<string>();
  for (const c of changes) changed.add(c[0]);
  const out: Level[] = [];
  const n = Math.min(DEEPEST_WINDOW, after.length);
  for (let i = 0; i < n; i++) {
    const level = after[i]!;
    if (changed.has(level[0])) continue;
    const window = windowOf(i);
    const was = oldRank.get(level[0]) ?? Number.POSITIVE_INFINITY;
    // Windows are nested: it entered some window iff it was at or below the smallest one holding it now.
    if (was >= window) out.push(level);
  }
  return out;
}

function windowOf(rank: number): number {
  for (const w of BOOK_DEPTHS) if (rank < w) return w;
  return MAX_BOOK_LEVELS;
}
