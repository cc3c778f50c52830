// Local fan-out: which connection wants which channel, and the coalescing
// write path. Messages that arrive for a channel in one event-loop turn go out
// as one frame, encoded once and framed once, and the same bytes are written
// to every subscriber.
import type { BrokerMessage } from '../broker/broker.js';
import { channelMatches } from '../protocol/channels.js';
import { encodeDataMessage } from '../protocol/data-message-encoder.js';
import type { SubscribedMessage } from '../protocol/messages.js';
import type { ClientConnection } from './client-connection.js';
import type { Subscription } from './subscription.js';
import { textFrame } from './text-frame.js';

/** Batches are split into frames of about this size: bounds memory per write and keeps frames interleavable. */
const MAX_BATCH_FRAME_BYTES = 64 * 1024;

export interface HubObserver {
  /** Called once per flushed channel batch, with totals over all receivers. */
  onDelivered(messages: BrokerMessage[], frames: number, bytes: number, receivers: number): void;
  onSlowClient(conn: ClientConnection): void;
  onFlushError(channel: string, err: unknown): void;
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

export class SubscriptionHub {
  private readonly exact = new Map<string, Set<Subscription>>();
  private readonly wildcards = new Set<Subscription>();
  /** Wildcard subscriptions matching a channel, rebuilt lazily when wildcards change. */
  private wildcardCache = new Map<string, Subscription[]>();
  private queued = new Map<string, BrokerMessage[]>();
  private flushScheduled = false;
  private stamp = 0;
  private count = 0;

  constructor(
    private readonly maxQueueBytes: number,
    private readonly observer: HubObserver,
  ) {}

  get size(): number {
    return this.count;
  }

  add(sub: Subscription): void {
    if (sub.wildcard) {
      this.wildcards.add(sub);
      this.wildcardCache = new Map();
    } else {
      let set = this.exact.get(sub.pattern);
      if (!set) this.exact.set(sub.pattern, (set = new Set()));
      set.add(sub);
    }
    this.count++;
  }

  remove(sub: Subscription): void {
    let removed: boolean;
    if (sub.wildcard) {
      removed = this.wildcards.delete(sub);
      if (removed) this.wildcardCache = new Map();
    } else {
      const set = this.exact.get(sub.pattern);
      removed = set?.delete(sub) ?? false;
      if (set && set.size === 0) this.exact.delete(sub.pattern);
    }
    if (removed) this.count--;
  }

  /** Queues a live message; the batch for its channel is flushed after this I/O turn. */
  publish(message: BrokerMessage): void {
    const list = this.queued.get(message.channel);
    if (list) list.push(message);
    else this.queued.set(message.channel, [message]);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Writes every queued batch. Bound once so setImmediate needs no closure per call. */
  readonly flush = (): void => {
    this.flushScheduled = false;
    const queued = this.queued;
    this.queued = new Map();
    for (const [channel, messages] of queued) {
      try {
        this.flushChannel(channel, messages);
      } catch (err) {
        // A bug here must not take the process (and every client) down with it.
        this.observer.onFlushError(channel, err);
      }
    }
  };

  private flushChannel(channel: string, messages: BrokerMessage[]): void {
    const exact = this.exact.get(channel);
    const wild = this.wildcards.size > 0 ? this.wildcardsFor(channel) : undefined;
    if (!exact && (!wild || wild.length === 0)) {
      this.observer.onDelivered(messages, 0, 0, 0);
      return;
    }
    const last = messages[messages.length - 1]!;
    const first = messages[0]!;
    const frames = batchFrames(messages);
    let frameBytes = 0;
    for (const f of frames) frameBytes += f.length;
    const stamp = ++this.stamp;
    let receivers = 0;
    const deliver = (sub: Subscription): void => {
      const conn = sub.conn;
      if (!conn.isOpen || conn.flushStamp === stamp) return;
      if (sub.pending) {
        this.holdPending(sub, messages, frameBytes);
        return;
      }
      const done = conn.delivered.get(channel) ?? 0;
      if (done >= last.seq) return;
      // Part of this batch may have gone out already (resume seam or overlapping patterns).
      const out = done >= first.seq ? batchFrames(messages.filter((m) => m.seq > done)) : frames;
      for (const frame of out) if (!conn.writeFrame(frame)) return;
      conn.delivered.set(channel, last.seq);
      conn.flushStamp = stamp;
      receivers++;
    };
    if (exact) for (const sub of exact) deliver(sub);
    if (wild) for (const sub of wild) deliver(sub);
    this.observer.onDelivered(messages, receivers * frames.length, receivers * frameBytes, receivers);
  }

  private holdPending(sub: Subscription, messages: BrokerMessage[], bytes: number): void {
    sub.pending!.push(...messages);
    sub.pendingBytes += bytes;
    if (sub.pendingBytes > this.maxQueueBytes) {
      this.observer.onSlowClient(sub.conn);
      sub.conn.close(4000);
    }
  }

  private wildcardsFor(channel: string): Subscription[] {
    let list = this.wildcardCache.get(channel);
    if (!list) {
      list = [];
      for (const sub of this.wildcards) if (channelMatches(sub.pattern, channel)) list.push(sub);
      this.wildcardCache.set(channel, list);
    }
    return list;
  }

  /**
   * Ends a subscription's set-up: writes the replayed (or latest) messages,
   * then the `subscribed` answer, then the live messages that arrived
   * meanwhile and are newer than `seam` (the broker position read with the
   * history). From here on the subscription is live.
   */
  activate(sub: Subscription, replay: BrokerMessage[], seam: number, answer: SubscribedMessage): void {
    const conn = sub.conn;
    const pending = sub.pending ?? [];
    sub.pending = null;
    sub.pendingBytes = 0;
    if (!conn.isOpen) return;
    this.writeDirect(conn, replay);
    conn.send(answer);
    const fresh: BrokerMessage[] = [];
    for (const m of pending) if (m.seq > seam) fresh.push(m);
    this.writeDirect(conn, fresh);
  }

  /** Writes messages to one connection, skipping what it already has, in frames of ~64 KiB. */
  private writeDirect(conn: ClientConnection, messages: BrokerMessage[]): void {
    const fresh: BrokerMessage[] = [];
    for (const m of messages) {
      const done = conn.delivered.get(m.channel) ?? 0;
      if (m.seq <= done) continue;
      conn.delivered.set(m.channel, m.seq);
      fresh.push(m);
    }
    for (const frame of batchFrames(fresh)) if (!conn.writeFrame(frame)) return;
  }
}
