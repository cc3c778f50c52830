// History of one channel in the memory broker: a ring buffer bounded by count
// and by age (and, through the broker, by bytes: it counts what it holds). The newest message is always kept (it is the channel's latest
// value). Remembers the seq of the newest evicted message, which is what
// decides whether a resume can be complete. The ring grows on demand (from 4
// slots, doubling up to the bound): most channels of a flood of new names
// hold one message, and a slot array sized for the full history each would
// cost 8 KiB per channel at the default history size.
import { messageBytes, type BrokerMessage } from './broker.js';

/** Bytes held by every channel history of one broker (messageBytes), kept by the histories themselves. */
export class HistoryBytes {
  total = 0;
}

const INITIAL_SLOTS = 4;

export class ChannelHistory {
  private ring: Array<BrokerMessage | undefined>;
  private head = 0;
  private size = 0;
  /** Seq of the newest message ever evicted (0 = nothing evicted). */
  lastEvictedSeq = 0;
  /** Bytes this history holds. */
  bytes = 0;
  /** Set when the broker forgot this channel: its bytes no longer count. */
  forgotten = false;

  /** `lostUpTo`: seqs up to here may have been this channel's and are gone (it was forgotten before). */
  constructor(
    private readonly maxCount: number,
    private readonly maxAgeMs: number,
    lostUpTo = 0,
    private readonly counter = new HistoryBytes(),
  ) {
    this.lastEvictedSeq = lostUpTo;
    this.ring = new Array<BrokerMessage | undefined>(Math.min(maxCount, INITIAL_SLOTS));
  }

  get length(): number {
    return this.size;
  }

  latest(): BrokerMessage | undefined {
    return this.size === 0 ? undefined : this.ring[(this.head + this.size - 1) % this.ring.length];
  }

  append(message: BrokerMessage): void {
    if (this.size === this.maxCount) this.evictOldest();
    else if (this.size === this.ring.length) this.grow();
    this.ring[(this.head + this.size) % this.ring.length] = message;
    this.size++;
    this.count(messageBytes(message));
    this.expire(message.ts);
  }

  /** Drops messages older than the age limit, keeping the newest. */
  expire(now: number): void {
    const cutoff = now - this.maxAgeMs;
    while (this.size > 1 && this.ring[this.head]!.ts < cutoff) this.evictOldest();
  }

  /** The oldest retained message with seq > afterSeq. */
  nextAfter(afterSeq: number): BrokerMessage | undefined {
    const index = this.indexAfter(afterSeq);
    return index < this.size ? this.at(index) : undefined;
  }

  /** Messages with seq > afterSeq, oldest first. */
  after(afterSeq: number, out: BrokerMessage[]): void {
    for (let i = this.indexAfter(afterSeq); i < this.size; i++) out.push(this.at(i));
  }

  /** The index of the oldest message with seq > afterSeq (binary search: the ring is in seq order). */
  private indexAfter(afterSeq: number): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid).seq > afterSeq) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  private at(index: number): BrokerMessage {
    return this.ring[(this.head + index) % this.ring.length]!;
  }

  /** The seq of the oldest message held (0 when empty). */
  oldestSeq(): number {
    return this.size === 0 ? 0 : this.at(0).seq;
  }

  /** Evicts every message up to `seq` except the latest (the latest value is always kept). */
  evictUpTo(seq: number): void {
    while (this.size > 1 && this.at(0).seq <= seq) this.evictOldest();
  }

  /** The broker forgets this channel: its bytes stop counting. */
  forget(): void {
    if (this.forgotten) return;
    this.counter.total -= this.bytes;
    this.forgotten = true;
  }

  private count(delta: number): void {
    this.bytes += delta;
    if (!this.forgotten) this.counter.total += delta;
  }

  private evictOldest(): void {
    const oldest = this.ring[this.head]!;
    this.count(-messageBytes(oldest));
    this.lastEvictedSeq = oldest.seq;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.ring.length;
    this.size--;
  }

  /** Doubles the slots (up to the bound), oldest message first. */
  private grow(): void {
    const next = new Array<BrokerMessage | undefined>(Math.min(this.maxCount, this.ring.length * 2));
    for (let i = 0; i < this.size; i++) next[i] = this.ring[(this.head + i) % this.ring.length];
    this.ring = next;
    this.head = 0;
  }
}
