// The conflated subscribers of one channel or pattern at one interval
// (bucket), and what they have not been sent yet. At each tick of its bucket
// the group builds one frame batch from its window, the newest message per
// channel with its `skipped` count, and writes the same bytes to every
// member: conflation encodes once, like live fan-out.
//
// Subscribers are in one of three places:
//   pending: being set up (history or latest value being read, replay being
//            written); live messages are held in the subscription, as for
//            any subscription, within the connection's byte budget.
//   joining: live, with a window of its own, until the next tick: it went
//            live mid-interval (its first message must stand only for what
//            came after its seam), or its connection was over its byte
//            budget at a tick (what it was not sent waits here, one entry
//            per channel, and is sent once the connection has drained).
//   members: live and in step with the group's window: they share its frames.
import type { BrokerMessage } from '../../broker/broker.js';
import type { SubscriptionHub } from '../subscription-hub.js';
import type { Subscription } from '../subscription.js';
import { encoded } from '../frame-batch.js';
import { ConflationWindow, type ConflatedMessage } from './conflation-window.js';

/** What a tick reports, for metrics. */
export interface ConflationTick {
  /** Conflated messages written, over all receivers. */
  messages: number;
  /** Messages they stood for and were not sent (the sum of their `skipped`), over all receivers. */
  skipped: number;
  frames: number;
  bytes: number;
}

export class ConflationGroup {
  readonly pending = new Set<Subscription>();
  readonly joining = new Map<Subscription, ConflationWindow>();
  readonly members = new Set<Subscription>();
  private readonly window = new ConflationWindow();

  constructor(
    readonly pattern: string,
    readonly wildcard: boolean,
    readonly intervalMs: number,
  ) {}

  get size(): number {
    return this.pending.size + this.joining.size + this.members.size;
  }

  /** A live message of a channel the group's pattern matches. */
  publish(m: BrokerMessage): void {
    if (this.members.size > 0) this.window.add(m);
    for (const window of this.joining.values()) window.add(m);
    if (this.pending.size === 0) return;
    const bytes = encoded(m).length;
    for (const sub of this.pending) {
      if (!sub.conn.isOpen) continue;
      if (!sub.hold([m], bytes)) sub.conn.closeSlow();
    }
  }

  /** Joins with the messages it has not been sent yet (held after its seam, or undelivered when it was switched). */
  join(sub: Subscription, unsent: readonly BrokerMessage[]): void {
    this.pending.delete(sub);
    const window = new ConflationWindow();
    for (const m of unsent) window.add(m);
    this.joining.set(sub, window);
  }

  remove(sub: Subscription): boolean {
    return this.pending.delete(sub) || this.joining.delete(sub) || this.members.delete(sub);
  }

  /** The end of an interval: one shared batch to the members, one batch each to joiners whose connection can take it. */
  tick(hub: SubscriptionHub, report: ConflationTick): void {
    if (this.members.size > 0 && !this.window.isEmpty) {
      const messages = this.window.drain();
      const batch = hub.batch(messages);
      for (const sub of this.members) {
        const conn = sub.conn;
        if (!conn.isOpen) continue;
        if (conn.writer.overBudget) {
          // Cannot take it now: keep what it was not sent in a window of its own.
          this.members.delete(sub);
          this.joining.set(sub, windowOf(messages));
          continue;
        }
        const frames = batch.framesFor(conn);
        if (!write(sub, frames, messages)) continue;
        count(report, messages, frames.length, batch.bytesOf(frames));
      }
    }
    for (const [sub, window] of this.joining) {
      const conn = sub.conn;
      if (!conn.isOpen || conn.writer.overBudget) continue;
      this.joining.delete(sub);
      this.members.add(sub);
      if (window.isEmpty) continue;
      const messages = window.drain();
      const batch = hub.batch(messages);
      const frames = batch.framesFor(conn);
      if (write(sub, frames, messages)) count(report, messages, frames.length, batch.bytesOf(frames));
    }
  }
}

function windowOf(messages: readonly ConflatedMessage[]): ConflationWindow {
  const window = new ConflationWindow();
  for (const m of messages) window.addCounted(m, m.count);
  return window;
}

function write(sub: Subscription, frames: Buffer[], messages: readonly ConflatedMessage[]): boolean {
  for (const frame of frames) if (!sub.conn.writeFrame(frame)) return false;
  sub.wroteUpTo(messages[messages.length - 1]!.seq);
  return true;
}

function count(report: ConflationTick, messages: readonly ConflatedMessage[], frames: number, bytes: number): void {
  report.messages += messages.length;
  for (const m of messages) report.skipped += m.count - 1;
  report.frames += frames;
  report.bytes += bytes;
}
