// What a conflated subscription has not been sent yet: per channel, the
// newest message and how many messages it stands for. Memory is one entry
// per channel however fast the channel publishes, which is what keeps a
// conflated (or slow, switched) client's footprint flat.
// Book channels are the exception: an update only lists changed levels, so
// the newest alone would leave a client's book wrong. Their entry keeps the
// interval's changes merged into one update (mergeBookMessages: the last
// change of each price wins, a snapshot restarts the merge), which applied to
// the book at the previous delivery gives the book at the newest position,
// and so carries the newest message's checksum.
import type { BrokerMessage } from '../../broker/broker.js';
import { mergeBookMessages } from '../../books/book-merge.js';
import { encodeBookData, isBookChannel, type BookData } from '../../books/book-message.js';
import { encodeConflatedMessage } from '../../protocol/data-message-encoder.js';

interface Entry {
  newest: BrokerMessage;
  /** Messages of the channel this window holds, the newest included. */
  count: number;
  /** Book channels only: the merged data of every message this window holds, oldest to newest. */
  book?: BookData;
}

export class ConflationWindow {
  private entries = new Map<string, Entry>();

  get isEmpty(): boolean {
    return this.entries.size === 0;
  }

  add(m: BrokerMessage): void {
    const entry = this.entries.get(m.channel);
    if (entry) {
      if (entry.book) entry.book = mergeBookMessages([entry.book, bookDataOf(m)]);
      entry.newest = m;
      entry.count++;
    } else {
      this.entries.set(m.channel, { newest: m, count: 1, ...(isBookChannel(m.channel) ? { book: bookDataOf(m) } : {}) });
    }
  }

  /** Adds a message that already stands for `count` messages (a window handed over from another). */
  addCounted(m: BrokerMessage, count: number): void {
    const entry = this.entries.get(m.channel);
    if (entry) {
      if (entry.book) entry.book = m.seq > entry.newest.seq ? mergeBookMessages([entry.book, bookDataOf(m)]) : mergeBookMessages([bookDataOf(m), entry.book]);
      if (m.seq > entry.newest.seq) entry.newest = m;
      entry.count += count;
    } else {
      this.entries.set(m.channel, { newest: m, count, ...(isBookChannel(m.channel) ? { book: bookDataOf(m) } : {}) });
    }
  }

  /** Empties the window into one message per channel, in seq order, each carrying its `skipped` count. */
  drain(): ConflatedMessage[] {
    const out: ConflatedMessage[] = [];
    for (const { newest, count, book } of this.entries.values()) out.push(conflated(book && count > 1 ? withBookData(newest, book) : newest, count));
    this.entries = new Map();
    out.sort((a, b) => a.seq - b.seq);
    return out;
  }
}

/** A broker message sent as a conflated one: its encoding carries `skipped`; `count` = skipped + 1. */
export interface ConflatedMessage extends BrokerMessage {
  readonly count: number;
}

/** `m` standing for `count` messages of its channel (itself included), encoded once. */
export function conflated(m: BrokerMessage, count: number): ConflatedMessage {
  return { ...m, encoded: encodeConflatedMessage(m, count - 1), count };
}

/** Newest message per channel of `messages` (seq order), each standing for the channel's messages: a conflated replay. */
export function conflateAll(messages: readonly BrokerMessage[]): ConflatedMessage[] {
  const window = new ConflationWindow();
  for (const m of messages) window.add(m);
  return window.drain();
}

/** The data of a book channel's message (the gateway's fold wrote it: always a valid book message). */
function bookDataOf(m: BrokerMessage): BookData {
  return JSON.parse(m.payload) as BookData;
}

/** `m` with the merged data of its window in place of its own. */
function withBookData(m: BrokerMessage, book: BookData): BrokerMessage {
  return { ...m, payload: encodeBookData(book.kind, book.bids, book.asks, book.checksum) };
}
