// The embedded broker: one process, no NATS. The default when no NATS URL is
// configured. History and latest values live in per-channel ring buffers, for
// at most `maxChannels` channels: when a new channel would pass the bound, the
// least recently published one is forgotten (history and latest value). What
// it leaves behind is one number, `forgottenTop`, the newest seq of any
// forgotten channel; a resume from before it is answered recovered:false for
// every pattern and for any channel not tracked (the broker no longer knows
// which names it forgot), and a channel tracked anew counts as having lost
// everything up to it.
import { randomBytes } from 'node:crypto';
import { channelMatches } from '@odin-gateway/client/channels';
import { eventOf } from '../protocol/data-message-encoder.js';
import { isHistoryCursor, type Broker, type BrokerMessage, type BrokerStats, type BrokerStatus, type HistoryCursor, type HistoryPage, type HistoryPageOptions, type LatestResult, type Position } from './broker.js';
import { ChannelHistory, HistoryBytes } from './channel-history.js';
import { HistoryMerge } from './memory-history-merge.js';

export interface MemoryBrokerOptions {
  historySize: number;
  historyMaxAgeMs: number;
  /** Channels tracked at most; default DEFAULT_MAX_CHANNELS. */
  maxChannels?: number;
  /** Bytes of history kept at most (messageBytes), oldest message first; the latest of each channel is always kept. Default: unbounded. */
  historyMaxBytes?: number;
}

export const DEFAULT_MAX_CHANNELS = 10_000;

export class MemoryBroker implements Broker {
  readonly kind = 'memory' as const;
  /** A new epoch per process: a restart loses history, and clients must be told. */
  private currentEpoch = newEpoch();
  private seq = 0;
  /** Least recently published first: a publish moves its channel to the end. */
  private readonly channels = new Map<string, ChannelHistory>();
  /** The newest seq of a forgotten channel (0 = none forgotten in this epoch). */
  private forgottenTop = 0;
  private evicted = 0;
  private readonly maxChannels: number;
  private readonly handlers: Array<(m: BrokerMessage) => void> = [];
  private state: BrokerStatus = 'connected';
  private readonly dedupe = new Map<string, Position>();
  private readonly bytes = new HistoryBytes();
  private readonly maxBytes: number;
  /** Every kept message in publish (= seq) order, for the byte bound's oldest-first eviction: its history and seq. */
  private order: ChannelHistory[] = [];
  private orderSeq: number[] = [];
  private orderHead = 0;

  constructor(private readonly options: MemoryBrokerOptions) {
    this.maxChannels = options.maxChannels ?? DEFAULT_MAX_CHANNELS;
    this.maxBytes = options.historyMaxBytes ?? Infinity;
  }

  /** Bytes of history held (messageBytes of every kept message). */
  get historyBytes(): number {
    return this.bytes.total;
  }

  historyMemory(): { bytes: number; maxBytes: number } | undefined {
    return this.maxBytes === Infinity ? undefined : { bytes: this.bytes.total, maxBytes: this.maxBytes };
  }

  async start(): Promise<void> {}

  /** Drops all history and starts a new epoch: what a restart does, without one. */
  resetHistory(): void {
    for (const history of this.channels.values()) history.forget();
    this.channels.clear();
    this.order = [];
    this.orderSeq = [];
    this.orderHead = 0;
    this.dedupe.clear();
    this.seq = 0;
    this.forgottenTop = 0;
    this.currentEpoch = newEpoch();
  }

  async close(): Promise<void> {
    this.state = 'closed';
  }

  epoch(): string {
    return this.currentEpoch;
  }

  status(): BrokerStatus {
    return this.state;
  }

  stats(): BrokerStats {
    return { lagMessages: 0, behind: false, channels: this.channels.size, channelsEvicted: this.evicted };
  }

  onMessage(handler: (message: BrokerMessage) => void): void {
    this.handlers.push(handler);
  }

  onStatus(): void {
    // The memory broker never disconnects.
  }

  async publish(channel: string, payload: unknown, options?: { msgId?: string }): Promise<Position> {
    return this.publishNow(channel, payload, options?.msgId);
  }

  /** Synchronous publish, for the in-process simulator and the benchmark. */
  publishNow(channel: string, payload: unknown, msgId?: string): Position {
    if (this.state === 'closed') throw new Error('broker is closed');
    if (msgId !== undefined) {
      const seen = this.dedupe.get(msgId);
      if (seen) return seen;
    }
    let history = this.channels.get(channel);
    if (history) {
      this.channels.delete(channel);
    } else {
      // It may be a channel forgotten earlier: it lost everything up to forgottenTop.
      history = new ChannelHistory(this.options.historySize, this.options.historyMaxAgeMs, this.forgottenTop, this.bytes);
    }
    this.channels.set(channel, history);
    if (this.channels.size > this.maxChannels) this.forgetIdlest();
    const message: BrokerMessage = {
      channel,
      seq: ++this.seq,
      prev: history.latest()?.seq ?? 0,
      epoch: this.currentEpoch,
      ts: Date.now(),
      event: eventOf(payload),
      payload: JSON.stringify(payload) ?? 'null',
    };
    history.append(message);
    if (this.maxBytes !== Infinity) {
      this.order.push(history);
      this.orderSeq.push(message.seq);
      this.keepWithinBytes();
    }
    const position = { seq: message.seq, epoch: this.currentEpoch };
    if (msgId !== undefined) this.rememberMsgId(msgId, position);
    for (const handler of this.handlers) handler(message);
    return position;
  }

  async historyPage(pattern: string, from: Position | HistoryCursor, options: HistoryPageOptions): Promise<HistoryPage> {
    const maxMessages = options.maxMessages ?? Infinity;
    if (isHistoryCursor(from)) {
      const merge = from.carry instanceof HistoryMerge ? from.carry : undefined;
      // Another epoch (history reset), or a cursor this broker did not make: nothing after it can be proven.
      if (!merge || from.position.epoch !== this.currentEpoch) return notRecovered(from.position);
      return this.nextPage(pattern, merge, from.after, from.upTo, from.position, options.maxBytes, maxMessages);
    }
    const first = this.startRead(pattern, from);
    if (!first.merge) return notRecovered(first.position);
    return this.nextPage(pattern, first.merge, from.seq, first.position.seq, first.position, options.maxBytes, maxMessages);
  }

  /** The first page's checks and the merge over the matching channels; no merge when not recovered. */
  private startRead(pattern: string, since: Position): { position: Position; merge?: HistoryMerge } {
    const position = this.topPosition(pattern);
    if (since.epoch !== this.currentEpoch || since.seq > this.seq) return { position };
    // A forgotten channel matching the pattern may have had messages after since.
    if (since.seq < this.forgottenTop && !this.channels.has(pattern)) return { position };
    const now = Date.now();
    const histories: ChannelHistory[] = [];
    for (const [, history] of this.matching(pattern)) {
      history.expire(now);
      if (history.lastEvictedSeq > since.seq) return { position };
      histories.push(history);
    }
    return { position, merge: new HistoryMerge(histories, since.seq, position.seq) };
  }

  private nextPage(pattern: string, merge: HistoryMerge, after: number, upTo: number, position: Position, maxBytes: number, maxMessages: number): HistoryPage {
    const messages: BrokerMessage[] = [];
    if (merge.take(messages, maxBytes, maxMessages) === 'lost') return notRecovered(position);
    const last = messages[messages.length - 1];
    const complete = merge.done;
    const next: HistoryCursor | undefined = complete ? undefined : { pattern, after: last?.seq ?? after, upTo, position, carry: merge };
    return { recovered: true, messages, next, complete, position };
  }

  async latest(pattern: string): Promise<LatestResult> {
    const messages: BrokerMessage[] = [];
    for (const [, history] of this.matching(pattern)) {
      const m = history.latest();
      if (m) messages.push(m);
    }
    messages.sort(bySeq);
    return { messages, position: this.topPosition(pattern) };
  }

  private *matching(pattern: string): Iterable<[string, ChannelHistory]> {
    const exact = this.channels.get(pattern);
    if (exact) {
      yield [pattern, exact];
      return;
    }
    for (const entry of this.channels) if (channelMatches(pattern, entry[0])) yield entry;
  }

  /**
   * Evicts the oldest kept messages, whatever their channel, until history
   * fits its byte bound. The latest message of each channel stays (it is the
   * channel's latest value), so the bound is --history-max-bytes plus at most
   * one message per channel. Within the bound, the front of the order is
   * dropped past entries that are gone (count or age limit, a forgotten
   * channel) or that are their channel's latest (a later entry of the
   * channel evicts it), so the order costs about what is kept.
   */
  private keepWithinBytes(): void {
    while (this.orderHead < this.order.length) {
      const history = this.order[this.orderHead]!;
      const seq = this.orderSeq[this.orderHead]!;
      if (this.bytes.total > this.maxBytes) history.evictUpTo(seq);
      else if (!history.forgotten && history.oldestSeq() <= seq && history.latest()!.seq !== seq) break;
      this.orderHead++;
    }
    if (this.orderHead > 4096 && this.orderHead * 2 > this.order.length) {
      this.order = this.order.slice(this.orderHead);
      this.orderSeq = this.orderSeq.slice(this.orderHead);
      this.orderHead = 0;
    }
  }

  private forgetIdlest(): void {
    const first = this.channels.entries().next().value;
    if (!first) return;
    first[1].forget();
    this.channels.delete(first[0]);
    this.forgottenTop = Math.max(this.forgottenTop, first[1].latest()?.seq ?? 0);
    this.evicted++;
  }

  /** Newest seq among matching channels; where a forgotten channel could match, at least forgottenTop. */
  private topPosition(pattern: string): Position {
    let top = this.channels.has(pattern) ? 0 : this.forgottenTop;
    for (const [, history] of this.matching(pattern)) top = Math.max(top, history.latest()?.seq ?? 0);
    return { seq: top, epoch: this.currentEpoch };
  }

  private rememberMsgId(msgId: string, position: Position): void {
    // A bounded window, like JetStream's duplicate window.
    this.dedupe.set(msgId, position);
    if (this.dedupe.size > 10_000) {
      const oldest = this.dedupe.keys().next().value;
      if (oldest !== undefined) this.dedupe.delete(oldest);
    }
  }

  // ---- control messages (server API disconnect): one process, so straight to the handlers ----
  private readonly controlHandlers: Array<(topic: string, body: unknown) => void> = [];

  async publishControl(topic: string, body: unknown): Promise<void> {
    // A copy through JSON, as over NATS: no handler shares the sender's object.
    const copy: unknown = JSON.parse(JSON.stringify(body) ?? 'null');
    // Never inside the sender's call, as over NATS: a gateway asking for a book snapshot in the middle of
    // a fold must not have the publisher's answer folded before the message it is folding goes out.
    await Promise.resolve();
    for (const handler of this.controlHandlers) handler(topic, copy);
  }

  onControl(handler: (topic: string, body: unknown) => void): void {
    this.controlHandlers.push(handler);
  }
}

function newEpoch(): string {
  return randomBytes(6).toString('base64url').replace(/[^A-Za-z0-9]/g, 'x');
}

function notRecovered(position: Position): HistoryPage {
  return { recovered: false, messages: [], next: undefined, complete: true, position };
}

function bySeq(a: BrokerMessage, b: BrokerMessage): number {
  return a.seq - b.seq;
}
