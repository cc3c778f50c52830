// History of one channel in the memory broker: a ring buffer bounded by count
// and by age. The newest message is always kept (it is the channel's latest
// value). Remembers the seq of the newest evicted message, which is what
// decides whether a resume can be complete.
import type { BrokerMessage } from './broker.js';

export class ChannelHistory {
  private readonly ring: Array<BrokerMessage | undefined>;
  private head = 0;
  private size = 0;
  /** Seq of the newest message ever evicted (0 = nothing evicted). */
  lastEvictedSeq = 0;

  /** `lostUpTo`: seqs up to here may have been this channel's and are gone (it was forgotten before). */
  constructor(
    private readonly maxCount: number,
    private readonly maxAgeMs: number,
    lostUpTo = 0,
  ) {
    this.lastEvictedSeq = lostUpTo;
    this.ring = new Array<BrokerMessage | undefined>(maxCount);
  }

  get length(): number {
    return this.size;
  }

  latest(): BrokerMessage | undefined {
    return this.size === 0 ? undefined : this.ring[(this.head + this.size - 1) % this.maxCount];
  }

  append(message: BrokerMessage): void {
    if (this.size === this.maxCount) this.evictOldest();
    this.ring[(this.head + this.size) % this.maxCount] = message;
    this.size++;
    this.expire(message.ts);
  }

  /** Drops messages older than the age limit, keeping the newest. */
  expire(now: number): void {
    const cutoff = now - this.maxAgeMs;
    while (this.size > 1 && this.ring[this.head]!.ts < cutoff) this.evictOldest();
  }

  /** Messages with seq > afterSeq, oldest first. */
  after(afterSeq: number, out: BrokerMessage[]): void {
    // Binary search would do; channels hold at most a few thousand messages and
    // resumes usually ask for the tail, so scan backwards from the newest.
    let i = this.size;
    while (i > 0 && this.ring[(this.head + i - 1) % this.maxCount]!.seq > afterSeq) i--;
    for (; i < this.size; i++) out.push(this.ring[(this.head + i) % this.maxCount]!);
  }

  private evictOldest(): void {
    const oldest = this.ring[this.head]!;
    this.lastEvictedSeq = oldest.seq;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.maxCount;
    this.size--;
  }
}
