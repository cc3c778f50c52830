// The book channels one `odin load` client follows: a local book per channel
// (the SDK's LocalBook, docs/books.md), every checksum verified. A mismatch
// is counted and the book resynchronised as docs/books.md says: unsubscribe,
// and once the server answered `unsubscribed` (nothing of the old
// subscription can follow), subscribe again without `since` for a fresh
// snapshot. While that is under way the channel's messages are not counted.
import { isBookChannel, LocalBook, type BookMessageData } from '@odin-gateway/client/book';

export { isBookChannel };

export interface BookCounters {
  /** Book messages whose checksum matched the local book. */
  bookVerified: number;
  /** Book messages whose checksum did not: a wrong book at this client. */
  bookMismatches: number;
  /** Books dropped and rebuilt from a fresh snapshot (mismatches and resumes answered recovered:false). */
  bookResyncs: number;
}

export class BookFollower {
  private readonly books = new Map<string, LocalBook>();
  /** Channels unsubscribed after a mismatch, waiting for `unsubscribed`. */
  private readonly resyncing = new Set<string>();

  constructor(private readonly counters: BookCounters) {}

  /** True while `channel` is being resubscribed: its data lines are leftovers of the old subscription. */
  isResyncing(channel: string): boolean {
    return this.resyncing.has(channel);
  }

  /** True when the channel's book holds a snapshot (a resume with `since` can continue it). */
  isSynced(channel: string): boolean {
    return this.books.get(channel)?.synced === true;
  }

  /** Applies one data line of a book channel; true when it mismatched and the caller must unsubscribe. */
  apply(channel: string, line: string): boolean {
    let book = this.books.get(channel);
    if (!book) this.books.set(channel, (book = new LocalBook()));
    let data: BookMessageData;
    try {
      data = (JSON.parse(line) as { data: BookMessageData }).data;
    } catch {
      data = { kind: 'update', bids: [], asks: [], checksum: -1 };
    }
    const result = book.apply(data);
    if (result === 'verified') this.counters.bookVerified++;
    if (result !== 'mismatch') return false;
    this.counters.bookMismatches++;
    this.counters.bookResyncs++;
    this.resyncing.add(channel);
    return true;
  }

  /** The server answered `unsubscribed` for `channel`: true when a fresh subscribe is due. */
  unsubscribed(channel: string): boolean {
    return this.resyncing.delete(channel);
  }

  /** A resume answered recovered:false: the fresh snapshot that follows rebuilds the book. */
  notRecovered(channel: string): void {
    if (!isBookChannel(channel)) return;
    this.books.get(channel)?.reset();
    this.counters.bookResyncs++;
  }

  /** A new connection: resubscribes under way are moot (every channel is subscribed afresh or resumed). */
  connectionOpened(): void {
    this.resyncing.clear();
  }
}
