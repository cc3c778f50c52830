// Checks, per channel, that every message follows the previous one: its `prev`
// must be the `seq` last seen on that channel in the same epoch. A message
// already seen (seq not above the last) is a duplicate, e.g. from overlapping
// patterns replaying the same channel; anything else out of line is a gap.
import type { DataMessage } from '../protocol/messages.js';

export type Continuity = 'first' | 'next' | 'duplicate' | 'gap' | 'epoch';

interface ChannelState {
  seq: number;
  epoch: string;
  last: DataMessage;
}

export class ContinuityTracker {
  private readonly channels = new Map<string, ChannelState>();

  /** Classifies `m` without recording it. */
  check(m: DataMessage): Continuity {
    const state = this.channels.get(m.channel);
    if (!state) return 'first';
    if (state.epoch !== m.epoch) return 'epoch';
    if (m.seq <= state.seq) return 'duplicate';
    // prev 0 is "unknown" (protocol.md, Positions): unverifiable, but never a sign of loss.
    return m.prev === state.seq || m.prev === 0 ? 'next' : 'gap';
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
