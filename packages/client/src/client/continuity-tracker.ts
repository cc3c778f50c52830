// Per channel, the last message delivered, classified by the shared rule in
// src/protocol/continuity.ts.
import { classify, type Continuity } from '../protocol/continuity.js';
import type { DataMessage } from '../protocol/messages.js';

export type { Continuity };

interface ChannelState {
  seq: number;
  epoch: string;
  last: DataMessage;
}

export class ContinuityTracker {
  private readonly channels = new Map<string, ChannelState>();

  /** Classifies `m` without recording it. */
  check(m: DataMessage): Continuity {
    return classify(this.channels.get(m.channel), m);
  }

  record(m: DataMessage): void {
    this.channels.set(m.channel, { seq: m.seq, epoch: m.epoch, last: m });
  }

  lastSeq(channel: string): number | undefined {
    return this.channels.get(channel)?.seq;
  }

  /** The last message recorded on each channel `select` accepts. */
  lastMessages(select: (channel: string) => boolean): DataMessage[] {
    const out: DataMessage[] = [];
    for (const [channel, state] of this.channels) if (select(channel)) out.push(state.last);
    return out.sort((a, b) => a.seq - b.seq);
  }

  /** Forgets the channels `select` accepts: their next message starts afresh. */
  forget(select: (channel: string) => boolean): void {
    for (const channel of [...this.channels.keys()]) if (select(channel)) this.channels.delete(channel);
  }
}
