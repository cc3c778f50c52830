// What a conflated subscription has not been sent yet: per channel, the
// newest message and how many messages it stands for. Memory is one entry
// per channel however fast the channel publishes, which is what keeps a
// conflated (or slow, switched) client's footprint flat.
import type { BrokerMessage } from '../../broker/broker.js';
import { encodeConflatedMessage } from '../../protocol/data-message-encoder.js';

interface Entry {
  newest: BrokerMessage;
  /** Messages of the channel this window holds, the newest included. */
  count: number;
}

export class ConflationWindow {
  private entries = new Map<string, Entry>();

  get isEmpty(): boolean {
    return this.entries.size === 0;
  }

  add(m: BrokerMessage): void {
    const entry = this.entries.get(m.channel);
    if (entry) {
      entry.newest = m;
      entry.count++;
    } else {
      this.entries.set(m.channel, { newest: m, count: 1 });
    }
  }

  /** Adds a message that already stands for `count` messages (a window handed over from another). */
  addCounted(m: BrokerMessage, count: number): void {
    const entry = this.entries.get(m.channel);
    if (entry) {
      if (m.seq > entry.newest.seq) entry.newest = m;
      entry.count += count;
    } else {
      this.entries.set(m.channel, { newest: m, count });
    }
  }

  /** Empties the window into one message per channel, in seq order, each carrying its `skipped` count. */
  drain(): ConflatedMessage[] {
    const out: ConflatedMessage[] = [];
    for (const { newest, count } of this.entries.values()) out.push(conflated(newest, count));
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
