// Local fan-out: which connection wants which channel, and the coalescing
// write path. Messages that arrive in one event-loop turn go out together:
// each encoded once, framed once per channel (exact subscriptions) or once per
// pattern (wildcard subscriptions), and the same bytes are written to every
// subscriber. Everything one connection gets in one flush leaves in one
// write (FlushPass corks a connection from its second frame on).
//
// Order: a client resumes a subscription from the newest seq it got on it.
// That is only safe if every prefix of what a subscription receives is
// complete up to its newest seq, i.e. messages reach it in seq order. For one
// channel that is the channel's order; for a pattern it is the broker's order
// across all matching channels, which is why a pattern gets one seq-ordered
// batch per turn instead of one batch per channel.
import type { BrokerMessage } from '../broker/broker.js';
import type { ClientConnection } from './client-connection.js';
import { FlushPass } from './connection-writer.js';
import type { Subscription } from './subscription.js';
import { FrameBatch } from './frame-batch.js';
import type { HubObserver } from './gateway-observer.js';
import { PatternCache } from './pattern-cache.js';

export class SubscriptionHub {
  private readonly exact = new Map<string, Set<Subscription>>();
  /** Wildcard subscriptions grouped by pattern: one batch per pattern per turn. */
  private readonly patterns = new Map<string, Set<Subscription>>();
  /** Patterns matching a channel, bounded, rebuilt lazily when the set of patterns changes. */
  private readonly patternCache = new PatternCache();
  private queuedByChannel = new Map<string, BrokerMessage[]>();
  private queuedInOrder: BrokerMessage[] = [];
  private flushScheduled = false;
  /**
   * Set under --slow-client conflate: a live subscription whose connection is
   * over its budget when a batch is due is offered here first (true = taken
   * over, conflated); else the write fails and the client is closed with 4000.
   */
  divertSlow: ((sub: Subscription, unsent: readonly BrokerMessage[]) => boolean) | undefined;

  constructor(
    private readonly observer: HubObserver,
    /** Frames smaller than this stay uncompressed for compressing clients too. */
    private readonly compressionMinBytes: number,
  ) {}

  /** Frames for `messages`, built once and shared (compressed once, on first use). */
  batch(messages: readonly BrokerMessage[]): FrameBatch {
    return new FrameBatch(messages, this.compressionMinBytes);
  }

  add(sub: Subscription): void {
    const index = sub.wildcard ? this.patterns : this.exact;
    let set = index.get(sub.pattern);
    if (!set) {
      index.set(sub.pattern, (set = new Set()));
      if (sub.wildcard) this.patternCache.clear();
    }
    set.add(sub);
  }

  remove(sub: Subscription): void {
    const index = sub.wildcard ? this.patterns : this.exact;
    const set = index.get(sub.pattern);
    if (!set?.delete(sub)) return;
    if (set.size === 0) {
      index.delete(sub.pattern);
      if (sub.wildcard) this.patternCache.clear();
    }
  }

  /** Queues a live message; everything queued is flushed after this I/O turn. */
  publish(message: BrokerMessage): void {
    const list = this.queuedByChannel.get(message.channel);
    if (list) list.push(message);
    else this.queuedByChannel.set(message.channel, [message]);
    if (this.patterns.size > 0) this.queuedInOrder.push(message);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Writes every queued batch. Bound once so setImmediate needs no closure per call. */
  readonly flush = (): void => {
    this.flushScheduled = false;
    const byChannel = this.queuedByChannel;
    const inOrder = this.queuedInOrder;
    this.queuedByChannel = new Map();
    this.queuedInOrder = [];
    const pass = new FlushPass();
    const started = performance.now();
    try {
      this.flushPass(pass, byChannel, inOrder);
    } finally {
      pass.end();
      this.observer.flushed(performance.now() - started);
    }
  };

  private flushPass(pass: FlushPass, byChannel: Map<string, BrokerMessage[]>, inOrder: BrokerMessage[]): void {
    for (const [channel, messages] of byChannel) {
      const subs = this.exact.get(channel);
      if (!subs) continue;
      this.guarded(pass, channel, subs, messages);
    }
    if (this.patterns.size === 0 || inOrder.length === 0) return;
    const perPattern = new Map<string, BrokerMessage[]>();
    for (const m of inOrder) {
      for (const pattern of this.patternsFor(m.channel)) {
        const list = perPattern.get(pattern);
        if (list) list.push(m);
        else perPattern.set(pattern, [m]);
      }
    }
    for (const [pattern, messages] of perPattern) {
      const subs = this.patterns.get(pattern);
      if (subs) this.guarded(pass, pattern, subs, messages);
    }
  }

  private guarded(pass: FlushPass, target: string, subs: Set<Subscription>, messages: BrokerMessage[]): void {
    try {
      this.deliverBatch(pass, subs, messages);
    } catch (err) {
      // A bug here must not take the process (and every client) down with it.
      this.observer.flushFailed(target, err);
    }
  }

  /** One batch (seq order) to every subscription of one channel or one pattern. */
  private deliverBatch(pass: FlushPass, subs: Set<Subscription>, messages: BrokerMessage[]): void {
    const batch = this.batch(messages);
    const last = messages[messages.length - 1]!.seq;
    let receivers = 0;
    let written = 0;
    let bytes = 0;
    let plainBytes = 0;
    for (const sub of subs) {
      const conn = sub.conn;
      if (!conn.isOpen) continue;
      if (!sub.isLive) {
        // Being set up: hold, within the connection's byte budget.
        if (!sub.hold(messages, batch.plainBytes)) conn.closeSlow();
        continue;
      }
      if (last <= sub.lastSeq) continue;
      if (this.divertSlow !== undefined && conn.writer.overBudget && this.divertSlow(sub, messages)) continue;
      if (messages[0]!.seq <= sub.lastSeq) {
        // Rare: the subscription's seam is inside this batch (a NATS history
        // read ran ahead of the live consumer). Send only what is newer.
        const mine = this.batch(messages.filter((m) => m.seq > sub.lastSeq));
        sub.wroteUpTo(last);
        const frames = mine.framesFor(conn);
        if (!writeAll(conn, frames, pass)) continue;
        receivers++;
        written += frames.length;
        bytes += mine.bytesOf(frames);
        plainBytes += mine.plainBytes;
        continue;
      }
      sub.wroteUpTo(last);
      const frames = batch.framesFor(conn);
      if (!writeAll(conn, frames, pass)) continue;
      receivers++;
      written += frames.length;
      bytes += batch.bytesOf(frames);
      plainBytes += batch.plainBytes;
    }
    this.observer.delivered(messages, written, bytes, plainBytes, receivers);
  }

  private patternsFor(channel: string): string[] {
    return this.patternCache.matching(channel, this.patterns.keys());
  }

  /** Subscriptions on this instance that receive `channel`: exact ones plus every matching pattern's (server API /api/channels). */
  subscriberCount(channel: string): number {
    let n = this.exact.get(channel)?.size ?? 0;
    for (const pattern of this.patternsFor(channel)) n += this.patterns.get(pattern)?.size ?? 0;
    return n;
  }

  /**
   * Ends a subscription's set-up, right after its `subscribed` answer: writes
   * the held live messages newer than `seam` and from then on delivers
   * batches directly. Synchronous, so no batch can slip in between.
   */
  goLive(sub: Subscription, seam: number): void {
    const fresh = sub.goLive(seam);
    if (fresh.length > 0 && sub.conn.isOpen) {
      writeAll(sub.conn, this.batch(fresh).framesFor(sub.conn));
      sub.wroteUpTo(fresh[fresh.length - 1]!.seq);
    }
  }
}

function writeAll(conn: ClientConnection, frames: Buffer[], pass?: FlushPass): boolean {
  for (const frame of frames) if (!conn.writeFrame(frame, pass)) return false;
  return frames.length > 0;
}
