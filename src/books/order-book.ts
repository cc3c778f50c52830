// One order book: two sides kept sorted best first (bids highest price first,
// asks lowest first), levels identified by their price's value. A side holds
// at most MAX_BOOK_LEVELS levels; deeper ones are dropped, the same way on
// every gateway.
import { bookChecksum } from './checksum.js';
import { compareDecimal, isZero } from './decimal.js';
import type { Level } from './book-message.js';

/** Levels kept per side: the depth "all" means. */
export const MAX_BOOK_LEVELS = 1000;

export type Side = 'bids' | 'asks';

export class OrderBook {
  readonly bids: Level[] = [];
  readonly asks: Level[] = [];

  /** Replaces the book (a snapshot): levels in any order, no zero qty, no duplicates. */
  replace(bids: readonly Level[], asks: readonly Level[]): void {
    this.bids.length = 0;
    this.asks.length = 0;
    for (const l of bids) this.bids.push([l[0], l[1]]);
    for (const l of asks) this.asks.push([l[0], l[1]]);
    this.bids.sort((a, b) => compareDecimal(b[0], a[0]));
    this.asks.sort((a, b) => compareDecimal(a[0], b[0]));
    if (this.bids.length > MAX_BOOK_LEVELS) this.bids.length = MAX_BOOK_LEVELS;
    if (this.asks.length > MAX_BOOK_LEVELS) this.asks.length = MAX_BOOK_LEVELS;
  }

  /**
   * Applies one level change to a side. Returns the rank the change happened
   * at when a level was inserted or removed (the ranks below it moved), -1
   * when only a quantity changed or nothing did.
   */
  apply(side: Side, level: Level): number {
    const levels = side === 'bids' ? this.bids : this.asks;
    const [price, qty] = level;
    const { index, found } = search(levels, price, side);
    if (isZero(qty)) {
      if (!found) return -1;
      levels.splice(index, 1);
      return index;
    }
    if (found) {
      levels[index] = [price, qty];
      return -1;
    }
    if (index >= MAX_BOOK_LEVELS) return -1;
    levels.splice(index, 0, [price, qty]);
    if (levels.length > MAX_BOOK_LEVELS) levels.length = MAX_BOOK_LEVELS;
    return index;
  }

  checksum(): number {
    return bookChecksum(this.asks, this.bids);
  }

  /** Best bid at or above best ask. */
  crossed(): boolean {
    const bid = this.bids[0];
    const ask = this.asks[0];
    return bid !== undefined && ask !== undefined && compareDecimal(bid[0], ask[0]) >= 0;
  }

  clear(): void {
    this.bids.length = 0;
    this.asks.length = 0;
  }
}

/** Binary search by price value in a side sorted best first. */
function search(levels: readonly Level[], price: string, side: Side): { index: number; found: boolean } {
  let lo = 0;
  let hi = levels.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareDecimal(levels[mid]![0], price);
    // Best first: for bids a larger price comes first, for asks a smaller one.
    const before = side === 'bids' ? c > 0 : c < 0;
    if (c === 0) return { index: mid, found: true };
    if (before) lo = mid + 1;
    else hi = mid;
  }
  return { index: lo, found: false };
}
