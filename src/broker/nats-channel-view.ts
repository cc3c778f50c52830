// What this gateway instance knows from the live consumer: the latest message
// of each channel it tracks (served to `latest` at once, and kept even after
// JetStream expired it), how far the consumer has read, and `prev` links of
// recent messages (the stream stores no `prev`; it is the seq of the previous
// message on the same subject that the consumer saw).
//
// Both are bounded: at most `maxChannels` channels (the least recently
// published is forgotten first, so a flood of new channel names cannot grow
// memory without limit) and at most `maxPrevLinks` prev links. What a
// forgotten channel leaves behind is one number, `forgottenTop`: no channel
// that is not tracked has a message after it that this instance took in.
import { channelMatches } from '@odin-gateway/client/channels';
import type { BrokerMessage } from './broker.js';

/** How many seq -> prev links are remembered for history reads. */
const DEFAULT_PREV_LINKS = 200_000;
export const DEFAULT_MAX_CHANNELS = 10_000;

export class NatsChannelView {
  /** Least recently published first: a publish moves its channel to the end. */
  private readonly latestByChannel = new Map<string, BrokerMessage>();
  /** seq -> prev for messages whose predecessor on the subject is known; insertion (= seq) order. */
  private readonly prevBySeq = new Map<number, number>();
  /** Stream seq of the last message taken in, seed or live. */
  cursor = 0;
  /** The newest latest-seq among forgotten channels (0 = none forgotten). */
  forgottenTop = 0;
  /** Channels forgotten so far. */
  evicted = 0;

  constructor(
    private readonly maxChannels = DEFAULT_MAX_CHANNELS,
    private readonly maxPrevLinks = DEFAULT_PREV_LINKS,
  ) {}

  get channels(): number {
    return this.latestByChannel.size;
  }

  /** The seq of the latest message known on `channel`, 0 when none. */
  lastSeqOf(channel: string): number {
    return this.latestByChannel.get(channel)?.seq ?? 0;
  }

  /**
   * Is lastSeqOf(channel) really the channel's previous message? Not when
   * the channel is untracked and some channel was forgotten: it may be that one.
   */
  prevIsKnown(channel: string): boolean {
    return this.forgottenTop === 0 || this.latestByChannel.has(channel);
  }

  /**
   * Takes in the next message of the stream (in stream order). `prevKnown`
   * says whether message.prev is really its predecessor: false for the first
   * message seen on a subject when older ones were skipped (the seed pass)
   * or forgotten.
   */
  record(message: BrokerMessage, prevKnown: boolean): void {
    this.cursor = message.seq;
    this.latestByChannel.delete(message.channel);
    this.latestByChannel.set(message.channel, message);
    if (this.latestByChannel.size > this.maxChannels) this.forgetIdlest();
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

  /**
   * Newest seq taken in among channels matching `pattern` (0 when none): a
   * bound, exact for a tracked channel. Where a forgotten channel could
   * match, it is at least `forgottenTop`, so that "nothing after top" stays true.
   */
  top(pattern: string): number {
    if (!isPattern(pattern)) return this.latestByChannel.get(pattern)?.seq ?? this.forgottenTop;
    let top = this.forgottenTop;
    for (const [channel, m] of this.latestByChannel) if (m.seq > top && channelMatches(pattern, channel)) top = m.seq;
    return top;
  }

  /** The latest message of each tracked channel matching `pattern`, oldest first. */
  latest(pattern: string): BrokerMessage[] {
    if (!isPattern(pattern)) {
      const exact = this.latestByChannel.get(pattern);
      return exact ? [exact] : [];
    }
    const out: BrokerMessage[] = [];
    for (const [channel, m] of this.latestByChannel) if (channelMatches(pattern, channel)) out.push(m);
    return out.sort((a, b) => a.seq - b.seq);
  }

  private forgetIdlest(): void {
    const first = this.latestByChannel.entries().next().value;
    if (!first) return;
    this.latestByChannel.delete(first[0]);
    this.forgottenTop = Math.max(this.forgottenTop, first[1].seq);
    this.evicted++;
  }
}

function isPattern(name: string): boolean {
  return name.includes('*') || name.endsWith('>');
}
