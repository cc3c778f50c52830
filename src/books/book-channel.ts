// One book channel's fold on this gateway: the book at the channel's newest
// position, and the recent messages as clients receive them (for resumes).
// Every gateway folds the same messages in stream order, so the book, the
// checksums and the rewritten messages at a position are the same everywhere.
//
//   rebuilding ──> live ──> (gap) rebuilding
//       └──> unsynced (no snapshot in history) ──> live (next snapshot)
import type { BrokerMessage } from '../broker/broker.js';
import { encodeBookData, parseBookData, type BookRefusal } from './book-message.js';
import { foldBookData } from './book-fold.js';
import { MAX_BOOK_LEVELS, OrderBook } from './order-book.js';

export type BookChannelState = 'rebuilding' | 'live' | 'unsynced';

/** What folding one message found, for the store to count and log. */
export interface FoldOutcome {
  refused?: { reason: BookRefusal; message: string };
  /** The publisher's checksum differed from the fold's (the message goes out with the fold's). */
  mismatch?: { published: number; folded: number };
  crossed: boolean;
}

export class BookChannel {
  readonly book = new OrderBook();
  state: BookChannelState;
  /** Seq of the newest message folded (0: none). */
  seq = 0;
  private ts = 0;
  /** Recent messages as delivered, consecutive on the channel, oldest first. */
  private recent: BrokerMessage[] = [];
  /** Live messages that arrived while rebuilding, folded once the rebuild ends. */
  pending: BrokerMessage[] = [];
  /** Snapshot messages by depth, valid while `seq` does not move (one per position, shared by subscribers). */
  private snapshots = new Map<number, BrokerMessage>();

  constructor(
    readonly channel: string,
    readonly epoch: string,
    private readonly maxRecent: number,
    state: BookChannelState,
  ) {
    this.state = state;
  }

  /** Does `m` continue what was folded? (a snapshot always can, it replaces the book) */
  continues(m: BrokerMessage): boolean {
    return m.prev === this.seq;
  }

  /**
   * Folds `m` and rewrites its payload into what clients receive (the
   * fold's levels and checksum). A refused message leaves the book as it
   * was and goes out as an empty update, so positions stay continuous and
   * nothing malformed reaches a client.
   */
  fold(m: BrokerMessage): FoldOutcome {
    let data: unknown;
    try {
      data = JSON.parse(m.payload);
    } catch {
      data = undefined;
    }
    const parsed = parseBookData(data);
    let outcome: FoldOutcome;
    if (!parsed.ok) {
      this.rewrite(m, encodeBookData('update', [], [], this.state === 'live' ? this.book.checksum() : undefined));
      outcome = { refused: { reason: parsed.reason, message: parsed.message }, crossed: false };
      if (this.state !== 'live') {
        this.skip(m);
        return outcome;
      }
    } else if (this.state !== 'live' && parsed.data.kind === 'update') {
      // No base book yet: the update cannot be folded; it goes out as published (valid), the position moves on.
      this.skip(m);
      return { crossed: false };
    } else {
      const out = foldBookData(this.book, parsed.data);
      this.rewrite(m, encodeBookData(out.kind, out.bids, out.asks, out.checksum));
      const published = parsed.data.checksum;
      outcome = { crossed: out.crossed, ...(published !== undefined && published !== out.checksum ? { mismatch: { published, folded: out.checksum } } : {}) };
      if (out.kind === 'snapshot') this.state = 'live';
    }
    this.seq = m.seq;
    this.ts = m.ts;
    this.snapshots.clear();
    this.recent.push(m);
    if (this.recent.length > this.maxRecent) this.recent.splice(0, this.recent.length - this.maxRecent);
    return outcome;
  }

  /** Takes `m` without folding it (no base book yet): it goes out as published, its position advances. */
  skip(m: BrokerMessage): void {
    this.seq = m.seq;
    this.ts = m.ts;
    this.recent = [];
    this.snapshots.clear();
  }

  /** Forgets the book and the recent messages (before a rebuild). */
  reset(state: BookChannelState): void {
    this.book.clear();
    this.state = state;
    this.seq = 0;
    this.recent = [];
    this.snapshots.clear();
  }

  /**
   * The messages after `sinceSeq`, when this fold holds every one of them
   * (undefined when some are older than what it keeps).
   */
  after(sinceSeq: number): BrokerMessage[] | undefined {
    if (this.state !== 'live') return undefined;
    if (sinceSeq >= this.seq) return [];
    const oldest = this.recent[0];
    if (!oldest || sinceSeq < oldest.prev) return undefined;
    let i = this.recent.length;
    while (i > 0 && this.recent[i - 1]!.seq > sinceSeq) i--;
    return this.recent.slice(i);
  }

  /** The book at `seq` as one message (top `depth` levels per side), or undefined before any message. */
  snapshot(depth: number): BrokerMessage | undefined {
    if (this.state !== 'live' || this.seq === 0) return undefined;
    const d = Math.min(depth, MAX_BOOK_LEVELS);
    let m = this.snapshots.get(d);
    if (!m) {
      m = {
        channel: this.channel,
        seq: this.seq,
        // The snapshot stands for everything up to seq: it links to no single message.
        prev: 0,
        epoch: this.epoch,
        ts: this.ts,
        event: 'message',
        payload: encodeBookData('snapshot', this.book.bids.slice(0, d), this.book.asks.slice(0, d), this.book.checksum()),
      };
      this.snapshots.set(d, m);
    }
    return m;
  }

  private rewrite(m: BrokerMessage, payload: string): void {
    m.payload = payload;
    // Encoded (once) from the payload clients get, even if something framed the original already.
    m.encoded = undefined;
    m.referenceTail = undefined;
  }
}
