// The embedded broker: one process, no NATS. The default when no NATS URL is
// configured. History and latest values live in per-channel ring buffers.
import { randomBytes } from 'node:crypto';
import { channelMatches } from '../protocol/channels.js';
import { eventOf } from '../protocol/data-message-encoder.js';
import type { Broker, BrokerMessage, BrokerStatus, HistoryResult, LatestResult, Position } from './broker.js';
import { ChannelHistory } from './channel-history.js';

export interface MemoryBrokerOptions {
  historySize: number;
  historyMaxAgeMs: number;
}

export class MemoryBroker implements Broker {
  readonly kind = 'memory' as const;
  /** A new epoch per process: a restart loses history, and clients must be told. */
  private currentEpoch = newEpoch();
  private seq = 0;
  private readonly channels = new Map<string, ChannelHistory>();
  private readonly handlers: Array<(m: BrokerMessage) => void> = [];
  private state: BrokerStatus = 'connected';
  private readonly dedupe = new Map<string, Position>();

  constructor(private readonly options: MemoryBrokerOptions) {}

  async start(): Promise<void> {}

  /** Drops all history and starts a new epoch: what a restart does, without one. */
  resetHistory(): void {
    this.channels.clear();
    this.dedupe.clear();
    this.seq = 0;
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
    if (!history) {
      history = new ChannelHistory(this.options.historySize, this.options.historyMaxAgeMs);
      this.channels.set(channel, history);
    }
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
    const position = { seq: message.seq, epoch: this.currentEpoch };
    if (msgId !== undefined) this.rememberMsgId(msgId, position);
    for (const handler of this.handlers) handler(message);
    return position;
  }

  async history(pattern: string, since: Position): Promise<HistoryResult> {
    const position = this.topPosition(pattern);
    if (since.epoch !== this.currentEpoch || since.seq > this.seq) {
      return { recovered: false, messages: [], position };
    }
    const now = Date.now();
    const messages: BrokerMessage[] = [];
    let recovered = true;
    for (const [channel, history] of this.matching(pattern)) {
      void channel;
      history.expire(now);
      if (history.lastEvictedSeq > since.seq) {
        recovered = false;
        break;
      }
      history.after(since.seq, messages);
    }
    if (!recovered) return { recovered: false, messages: [], position };
    messages.sort(bySeq);
    return { recovered: true, messages, position };
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

  private topPosition(pattern: string): Position {
    let top = 0;
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
}

function newEpoch(): string {
  return randomBytes(6).toString('base64url').replace(/[^A-Za-z0-9]/g, 'x');
}

function bySeq(a: BrokerMessage, b: BrokerMessage): number {
  return a.seq - b.seq;
}
