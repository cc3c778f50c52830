// What this gateway instance knows from the live consumer: the latest message
// of every channel (served to `latest` at once, and kept even after JetStream
// expired it), how far the consumer has read, and `prev` links of recent
// messages (the stream stores no `prev`; it is the seq of the previous message
// on the same subject that the consumer saw).
import { channelMatches } from '../protocol/channels.js';
import type { BrokerMessage } from './broker.js';

/** How many seq -> prev links are remembered for history reads. */
const DEFAULT_PREV_LINKS = 200_000;

export class NatsChannelView {
  private readonly latestByChannel = new Map<string, BrokerMessage>();
  /** seq -> prev for messages whose predecessor on the subject is known; insertion (= seq) order. */
  private readonly prevBySeq = new Map<number, number>();
  /** Stream seq of the last message taken in, seed or live. */
  cursor = 0;

  constructor(private readonly maxPrevLinks = DEFAULT_PREV_LINKS) {}

  /** The seq of the latest message known on `channel`, 0 when none. */
  lastSeqOf(channel: string): number {
    return this.latestByChannel.get(channel)?.seq ?? 0;
  }

  /**
   * Takes in the next message of the stream (in stream order). `prevKnown`
   * says whether message.prev is really its predecessor: false for the first
   * message seen on a subject when older ones were skipped (the seed pass).
   */
  record(message: BrokerMessage, prevKnown: boolean): void {
    this.cursor = message.seq;
    this.latestByChannel.set(message.channel, message);
    if (!prevKnown) return;
    this.prevBySeq.set(message.seq, message.prev);
    if (this.prevBySeq.size > this.maxPrevLinks) {
      const oldest = this.prevBySeq.keys().next().value;
      if (oldest !== undefined) this.prevBySeq.delete(oldest);
    }
  }

  /** The seq of the previous message on the same subject, when this instance saw it. */
  knownPrev(seq: number): number | undefined {
    return this.prevBySeq.get(seq);
  }

  /** Newest seq among channels matching `pattern` (0 when none). */
  top(pattern: string): number {
    if (!isPattern(pattern)) return this.lastSeqOf(pattern);
    let top = 0;
    for (const [channel, m] of this.latestByChannel) if (m.seq > top && channelMatches(pattern, channel)) top = m.seq;
    return top;
  }

  /** The latest message of each channel matching `pattern`, oldest first. */
  latest(pattern: string): BrokerMessage[] {
    if (!isPattern(pattern)) {
      const exact = this.latestByChannel.get(pattern);
      return exact ? [exact] : [];
    }
    const out: BrokerMessage[] = [];
    for (const [channel, m] of this.latestByChannel) if (channelMatches(pattern, channel)) out.push(m);
    return out.sort((a, b) => a.seq - b.seq);
  }

  /** Forgets everything (the stream was recreated: a new epoch). */
  clear(): void {
    this.latestByChannel.clear();
    this.prevBySeq.clear();
    this.cursor = 0;
  }
}

function isPattern(name: string): boolean {
  return name.includes('*') || name.endsWith('>');
}
