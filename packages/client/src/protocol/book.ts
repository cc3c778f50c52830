// Order books as docs/books.md defines them: the message's data, the
// checksum (Kraken v2's CRC32 over the top 10 asks then the top 10 bids) and
// a local book that applies snapshots and updates and verifies every
// checksum. No dependencies: it runs in browsers and Node alike (the SDK's
// client.book(), `odin load`'s book subscribers).

/** A level: price and quantity, decimal strings exactly as the publisher wrote them. */
export type BookLevel = [price: string, qty: string];

/** The `data` of a message on a book channel (`book.<TOKEN>`). */
export interface BookMessageData {
  kind: 'snapshot' | 'update';
  bids: BookLevel[];
  asks: BookLevel[];
  checksum: number;
}

/** A book channel is exactly `book.<TOKEN>`. */
export function isBookChannel(channel: string): boolean {
  return /^book\.[A-Za-z0-9_-]+$/.test(channel);
}

const CRC_TABLE = ((): Uint32Array => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC32 (zlib's polynomial) of an ASCII string, unsigned. */
export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) crc = CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function digits(s: string): string {
  return s.replace('.', '').replace(/^0+/, '');
}

/** The checksum of a book from its sides sorted best first (asks lowest first, bids highest first). */
export function bookChecksum(asks: readonly BookLevel[], bids: readonly BookLevel[]): number {
  let text = '';
  for (let i = 0; i < 10 && i < asks.length; i++) text += digits(asks[i]![0]) + digits(asks[i]![1]);
  for (let i = 0; i < 10 && i < bids.length; i++) text += digits(bids[i]![0]) + digits(bids[i]![1]);
  return crc32(text);
}

function isZeroQty(q: string): boolean {
  return /^[0.]+$/.test(q);
}

/** What applying one message did: verified, a checksum mismatch, or nothing (no snapshot yet). */
export type BookApplyResult = 'verified' | 'mismatch' | 'unsynced';

/**
 * A local book kept from a book channel's messages, `depth` levels per side:
 * a snapshot replaces it, an update applies each level in order (a zero qty
 * removes it) and then the sides are cut to `depth`; every message's
 * checksum is compared with the book's. Before the first snapshot (or after
 * `reset()`) updates are ignored.
 */
export class LocalBook {
  /** Best first (highest price). */
  bids: BookLevel[] = [];
  /** Best first (lowest price). */
  asks: BookLevel[] = [];
  /** True once a snapshot was applied, until reset() or a mismatch. */
  synced = false;
  /** The last checksum received (the book's when verified). */
  lastChecksum: number | undefined;
  /** The local book's checksum after the last message applied (kept across the reset a mismatch makes). */
  lastComputed: number | undefined;

  constructor(readonly depth = 1000) {}

  apply(data: BookMessageData): BookApplyResult {
    if (data.kind === 'snapshot') {
      this.bids = sortSide(data.bids, -1).slice(0, this.depth);
      this.asks = sortSide(data.asks, 1).slice(0, this.depth);
      this.synced = true;
    } else {
      if (!this.synced) return 'unsynced';
      for (const level of data.bids) applyLevel(this.bids, level, -1);
      for (const level of data.asks) applyLevel(this.asks, level, 1);
      if (this.bids.length > this.depth) this.bids.length = this.depth;
      if (this.asks.length > this.depth) this.asks.length = this.depth;
    }
    this.lastChecksum = data.checksum;
    this.lastComputed = this.checksum();
    if (this.lastComputed === data.checksum) return 'verified';
    this.reset();
    return 'mismatch';
  }

  checksum(): number {
    return bookChecksum(this.asks, this.bids);
  }

  /** Forgets the book: it waits for the next snapshot. */
  reset(): void {
    this.bids = [];
    this.asks = [];
    this.synced = false;
  }
}

function sortSide(levels: readonly BookLevel[], dir: 1 | -1): BookLevel[] {
  return levels.filter((l) => !isZeroQty(l[1])).map((l): BookLevel => [l[0], l[1]]).sort((a, b) => dir * (Number(a[0]) - Number(b[0])));
}

/** Inserts, replaces or removes one level in a side sorted best first (dir -1: bids, 1: asks). */
function applyLevel(side: BookLevel[], level: BookLevel, dir: 1 | -1): void {
  const price = Number(level[0]);
  let lo = 0;
  let hi = side.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (dir * (Number(side[mid]![0]) - price) < 0) lo = mid + 1;
    else hi = mid;
  }
  const found = lo < side.length && Number(side[lo]![0]) === price;
  if (isZeroQty(level[1])) {
    if (found) side.splice(lo, 1);
  } else if (found) side[lo] = [level[0], level[1]];
  else side.splice(lo, 0, [level[0], level[1]]);
}
