// Local fan-out: which connection wants which channel, and the coalescing
// write path. Messages that arrive in one event-loop turn go out together:
// each encoded once, framed once per channel (exact subscriptions) or once per
// pattern (wildcard subscriptions), and the same bytes are written to every
// subscriber.
//
// Order: a client resumes a subscription from the newest seq it got on it.
// That is only safe if every prefix of what a subscription receives is
// complete up to its newest seq, i.e. messages reach it in seq order. For one
// channel that is the channel's order; for a pattern it is the broker's order
// across all matching channels, which is why a pattern gets one seq-ordered
// batch per turn instead of one batch per channel.
import type { BrokerMessage } from '../broker/broker.js';
import { channelMatches } from '../protocol/channels.js';
import { encodeDataMessage } from '../protocol/data-message-encoder.js';
import type { SubscribedMessage } from '../protocol/messages.js';
import type { ClientConnection } from './client-connection.js';
import type { Subscription } from './subscription.js';
import { textFrame } from './text-frame.js';

/** Batches are split into frames of about this size: bounds memory per write. */
const MAX_BATCH_FRAME_BYTES = 64 * 1024;

export interface HubObserver {
  /** Called once per flushed batch, with totals over all receivers. */
  onDelivered(messages: BrokerMessage[], frames: number, bytes: number, receivers: number): void;
  onSlowClient(conn: ClientConnection): void;
  onFlushError(target: string, err: unknown): void;
}

export function encoded(m: BrokerMessage): string {
  return (m.encoded ??= encodeDataMessage(m));
}

/** Encodes messages (once each, cached) into newline-separated batch frames of at most ~64 KiB. */
export function batchFrames(messages: readonly BrokerMessage[]): Buffer[] {
  const frames: Buffer[] = [];
  let text = '';
  for (const m of messages) {
    const e = encoded(m);
    if (text.length > 0 && text.length + e.length >= MAX_BATCH_FRAME_BYTES) {
      frames.push(textFrame(text));
      text = e;
    } else {
      text = text.length === 0 ? e : text + '\n' + e;
    }
  }
  if (text.length > 0) frames.push(textFrame(text));
  return frames;
}

/**
 * With overlapping subscriptions on one connection (say `token.BTC.price`
 * and `token.*.price`), a message another live subscription of the same
 * connection has already delivered is not sent again.
 */
function deliveredByAnother(conn: ClientConnection, sub: Subscription, m: BrokerMessage): boolean {
  for (const other of conn.subscriptions.values()) {
    if (other === sub || other.pending || m.seq < other.from || m.seq > other.lastSeq) continue;
    if (other.wildcard ? channelMatches(other.pattern, m.channel) : other.pattern === m.channel) return true;
  }
  return false;
}

export class SubscriptionHub {
  private readonly exact = new Map<string, Set<Subscription>>();
  /** Wildcard subscriptions grouped by pattern: one batch per pattern per turn. */
  private readonly patterns = new Map<string, Set<Subscription>>();
  /** Patterns matching a channel, rebuilt lazily when the set of patterns changes. */
  private patternCache = new Map<string, string[]>();
  private queuedByChannel = new Map<string, BrokerMessage[]>();
  private queuedInOrder: BrokerMessage[] = [];
  private flushScheduled = false;

  constructor(
    private readonly maxQueueBytes: number,
    private readonly observer: HubObserver,
  ) {}

  add(sub: Subscription): void {
    const index = sub.wildcard ? this.patterns : this.exact;
    let set = index.get(sub.pattern);
    if (!set) {
      index.set(sub.pattern, (set = new Set()));
      if (sub.wildcard) this.patternCache = new Map();
    }
    set.add(sub);
  }

  remove(sub: Subscription): void {
    const index = sub.wildcard ? this.patterns : this.exact;
    const set = index.get(sub.pattern);
    if (!set?.delete(sub)) return;
    if (set.size === 0) {
      index.delete(sub.pattern);
      if (sub.wildcard) this.patternCache = new Map();
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
    for (const [channel, messages] of byChannel) {
      const subs = this.exact.get(channel);
      if (!subs) continue;
      this.guarded(channel, subs, messages);
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
      if (subs) this.guarded(pattern, subs, messages);
    }
  };

  private guarded(target: string, subs: Set<Subscription>, messages: BrokerMessage[]): void {
    try {
      this.deliverBatch(subs, messages);
    } catch (err) {
      // A bug here must not take the process (and every client) down with it.
      this.observer.onFlushError(target, err);
    }
  }

  /** One batch (seq order) to every subscription of one channel or one pattern. */
  private deliverBatch(subs: Set<Subscription>, messages: BrokerMessage[]): void {
    const frames = batchFrames(messages);
    let frameBytes = 0;
    for (const f of frames) frameBytes += f.length;
    const last = messages[messages.length - 1]!.seq;
    let receivers = 0;
    let written = 0;
    let bytes = 0;
    for (const sub of subs) {
      const conn = sub.conn;
      if (!conn.isOpen) continue;
      if (sub.pending) {
        this.holdPending(sub, messages, frameBytes);
        continue;
      }
      if (last <= sub.lastSeq) continue;
      if (conn.overlapping || messages[0]!.seq <= sub.lastSeq) {
        // Rare path: skip what this or another subscription already delivered.
        const own = messages.filter((m) => m.seq > sub.lastSeq && !deliveredByAnother(conn, sub, m));
        sub.lastSeq = last;
        if (own.length === 0) continue;
        const mine = batchFrames(own);
        if (!writeAll(conn, mine)) continue;
        receivers++;
        written += mine.length;
        for (const f of mine) bytes += f.length;
        continue;
      }
      sub.lastSeq = last;
      if (!writeAll(conn, frames)) continue;
      receivers++;
      written += frames.length;
      bytes += frameBytes;
    }
    this.observer.onDelivered(messages, written, bytes, receivers);
  }

  private holdPending(sub: Subscription, messages: BrokerMessage[], bytes: number): void {
    for (const m of messages) sub.pending!.push(m);
    sub.pendingBytes += bytes;
    if (sub.pendingBytes > this.maxQueueBytes) {
      this.observer.onSlowClient(sub.conn);
      sub.conn.close(4000);
    }
  }

  private patternsFor(channel: string): string[] {
    let list = this.patternCache.get(channel);
    if (!list) {
      list = [];
      for (const pattern of this.patterns.keys()) if (channelMatches(pattern, channel)) list.push(pattern);
      this.patternCache.set(channel, list);
    }
    return list;
  }

  /**
   * Ends a subscription's set-up: writes the replayed (or latest) messages,
   * then the `subscribed` answer, then the live messages that arrived
   * meanwhile and are newer than `seam` (the broker position read with the
   * history). From here on the subscription is live and covers every
   * matching message from `coveredFrom` on.
   */
  activate(sub: Subscription, replay: BrokerMessage[], seam: number, coveredFrom: number, answer: SubscribedMessage): void {
    const conn = sub.conn;
    const pending = sub.pending ?? [];
    sub.pending = null;
    sub.pendingBytes = 0;
    if (!conn.isOpen) return;
    this.writeDirect(sub, replay);
    conn.send(answer);
    const fresh: BrokerMessage[] = [];
    for (const m of pending) if (m.seq > seam) fresh.push(m);
    sub.from = coveredFrom;
    sub.lastSeq = Math.max(seam, sub.lastSeq);
    this.writeDirect(sub, fresh);
  }

  /** Writes messages to one subscription in frames of ~64 KiB, skipping what overlapping ones delivered. */
  private writeDirect(sub: Subscription, messages: BrokerMessage[]): void {
    if (messages.length === 0) return;
    const conn = sub.conn;
    const out = conn.overlapping ? messages.filter((m) => !deliveredByAnother(conn, sub, m)) : messages;
    sub.lastSeq = Math.max(sub.lastSeq, messages[messages.length - 1]!.seq);
    writeAll(conn, batchFrames(out));
  }
}

function writeAll(conn: ClientConnection, frames: Buffer[]): boolean {
  for (const frame of frames) if (!conn.writeFrame(frame)) return false;
  return frames.length > 0;
}
