// A simulated L2 order book per token, consistent with the price walk: the
// mid follows the token's price, the spread is a few ticks, resting levels
// are added and cancelled around it, and trades consume the top levels. Each
// step returns the level changes as a book message with its checksum (the
// publisher's, which every gateway verifies), and a snapshot now and then so
// that history always holds a base to rebuild from.
import type { BookData, Level } from '../books/book-message.js';
import { foldBookData } from '../books/book-fold.js';
import { OrderBook } from '../books/order-book.js';

/** Levels the simulator keeps per side. */
const LEVELS_PER_SIDE = 50;
/** A snapshot after this many updates (history keeps the last one: gateways rebuild from it). */
export const SNAPSHOT_EVERY = 200;

export type Random = () => number;

export class BookModel {
  readonly book = new OrderBook();
  private updates = 0;
  private readonly tick: number;
  private readonly priceDecimals: number;

  constructor(
    price: number,
    private readonly random: Random = Math.random,
  ) {
    // About 1 bp per tick, rounded to a power of ten: 43250 -> 1, 0.125 -> 0.00001.
    const exp = Math.floor(Math.log10(price * 1e-4));
    this.tick = 10 ** exp;
    this.priceDecimals = Math.max(0, -exp);
  }

  /** The full book as a snapshot around `price` (the first message, and every SNAPSHOT_EVERY updates). */
  snapshot(price: number): BookData {
    const { bids, asks } = this.freshLevels(price);
    const out = foldBookData(this.book, { kind: 'snapshot', bids, asks });
    this.updates = 0;
    return { kind: 'snapshot', bids: out.bids, asks: out.asks, checksum: out.checksum };
  }

  /** One step toward `price`: re-centre, cancel and add levels, maybe a trade at the top. */
  step(price: number): BookData {
    if (this.book.bids.length === 0 || ++this.updates >= SNAPSHOT_EVERY) return this.snapshot(price);
    const bids: Level[] = [];
    const asks: Level[] = [];
    const mid = this.ticks(price);
    // Levels that the new mid crossed go (the market moved through them).
    for (const [p] of this.book.bids) if (this.ticks(Number(p)) >= mid) bids.push([p, '0']);
    for (const [p] of this.book.asks) if (this.ticks(Number(p)) <= mid) asks.push([p, '0']);
    // A trade takes part of the best level on one side.
    if (this.random() < 0.3) {
      const side = this.random() < 0.5 ? this.book.bids : this.book.asks;
      const out = side === this.book.bids ? bids : asks;
      const top = side.find((l) => !out.some((c) => c[0] === l[0]));
      if (top) {
        const left = Number(top[1]) * (this.random() < 0.3 ? 0 : this.random());
        out.push([top[0], left < 1e-6 ? '0' : this.qty(left)]);
      }
    }
    // Resting orders come and go.
    for (let i = 0; i < 3; i++) {
      const isBid = this.random() < 0.5;
      const distance = 1 + Math.floor(this.random() ** 2 * LEVELS_PER_SIDE);
      const p = this.price(isBid ? mid - distance : mid + distance);
      (isBid ? bids : asks).push([p, this.random() < 0.25 ? '0' : this.qty(this.random() * 3)]);
    }
    foldBookData(this.book, { kind: 'update', bids, asks });
    // Levels far from the mid are cancelled, in the same message: the book stays about LEVELS_PER_SIDE deep.
    const deepBids = this.book.bids.slice(LEVELS_PER_SIDE).map((l): Level => [l[0], '0']);
    const deepAsks = this.book.asks.slice(LEVELS_PER_SIDE).map((l): Level => [l[0], '0']);
    if (deepBids.length + deepAsks.length > 0) foldBookData(this.book, { kind: 'update', bids: deepBids, asks: deepAsks });
    // The publisher sends its own changes (the gateway adds what depth-limited clients need).
    return { kind: 'update', bids: bids.concat(deepBids), asks: asks.concat(deepAsks), checksum: this.book.checksum() };
  }

  private freshLevels(price: number): { bids: Level[]; asks: Level[] } {
    const mid = this.ticks(price);
    const spread = 1 + Math.floor(this.random() * 3);
    const bids: Level[] = [];
    const asks: Level[] = [];
    for (let i = 0; i < LEVELS_PER_SIDE; i++) {
      bids.push([this.price(mid - spread - i), this.qty(0.05 + this.random() * 2)]);
      asks.push([this.price(mid + spread + i), this.qty(0.05 + this.random() * 2)]);
    }
    return { bids, asks };
  }

  private ticks(price: number): number {
    return Math.round(price / this.tick);
  }

  private price(ticks: number): string {
    return (Math.max(1, ticks) * this.tick).toFixed(this.priceDecimals);
  }

  private qty(q: number): string {
    return Math.max(q, 0.00000001).toFixed(8);
  }
}
