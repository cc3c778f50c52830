// The memory broker's paged history read: a lazy k-way merge of the matching
// channels' rings. Each matching channel is one entry of a min-heap keyed by
// the seq of its next message; a page pops entries in seq order until it
// holds enough bytes. Nothing is collected or sorted up front: the first
// page costs one pass over the channels (to build the heap), every page
// O(messages x log channels). The merge is the cursor's carry, so the next
// page goes on exactly where this one stopped.
import TinyQueue from 'tinyqueue';
import { messageBytes, type BrokerMessage } from './broker.js';
import type { ChannelHistory } from './channel-history.js';

interface MergeEntry {
  history: ChannelHistory;
  /** Every message of this channel up to here was returned (or precedes the read). */
  after: number;
  /** Its next message, not returned yet. */
  next: BrokerMessage;
}

export type MergeOutcome = 'ok' | 'lost';

export class HistoryMerge {
  private readonly heap: TinyQueue<MergeEntry>;

  /** A merge of `histories` after `after`, up to `upTo` (later messages are not part of the read). */
  constructor(
    histories: Iterable<ChannelHistory>,
    after: number,
    private readonly upTo: number,
  ) {
    const entries: MergeEntry[] = [];
    for (const history of histories) {
      const next = history.nextAfter(after);
      if (next && next.seq <= upTo) entries.push({ history, after, next });
    }
    this.heap = new TinyQueue(entries, (a, b) => a.next.seq - b.next.seq);
  }

  get done(): boolean {
    return this.heap.length === 0;
  }

  /**
   * Moves the next messages, in seq order, into `out` until it holds
   * `maxBytes` (plus at most one message) or `maxMessages`. 'lost': a channel
   * evicted a message the read had not returned yet (a reader slower than
   * retention); what is in `out` is still exact up to there.
   */
  take(out: BrokerMessage[], maxBytes: number, maxMessages: number): MergeOutcome {
    let bytes = 0;
    while (out.length < maxMessages && bytes < maxBytes) {
      const entry = this.heap.peek();
      if (!entry) break;
      if (entry.history.lastEvictedSeq > entry.after) return 'lost';
      out.push(entry.next);
      bytes += messageBytes(entry.next);
      entry.after = entry.next.seq;
      this.heap.pop();
      const following = entry.history.nextAfter(entry.after);
      if (following && following.seq <= this.upTo) {
        entry.next = following;
        this.heap.push(entry);
      }
    }
    return 'ok';
  }
}
