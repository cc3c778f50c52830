// Shared by the SDK tests: a client wired to 'ws', a recorder of everything it
// delivers, and a publisher loop that remembers every position it published.
import WebSocket from 'ws';
import type { MemoryBroker } from '../../src/broker/broker-memory.js';
import { OdinClient, type DataMessage, type GapInfo, type OdinClientOptions, type ResyncInfo } from '@odin-gateway/client';

export function newClient(url: string, options: Partial<OdinClientOptions> = {}): OdinClient {
  return new OdinClient({ url, WebSocket, random: () => 0.5, reconnect: { baseMs: 50, maxMs: 1000 }, ...options });
}

/** Everything a client delivered, per channel, plus the events a test asserts on. */
export class Recorder {
  readonly received: DataMessage[] = [];
  readonly gaps: GapInfo[] = [];
  readonly resyncs: ResyncInfo[] = [];
  readonly closes: number[] = [];

  constructor(readonly client: OdinClient) {
    client.on('gap', (g) => this.gaps.push(g));
    client.on('resync', (r) => this.resyncs.push(r));
    client.on('close', (c) => this.closes.push(c.code));
  }

  handler = (_data: unknown, m: DataMessage): void => {
    this.received.push(m);
  };

  seqs(channel: string): number[] {
    return this.received.filter((m) => m.channel === channel).map((m) => m.seq);
  }
}

/** Publishes through the broker and keeps the seqs per channel, in order. */
export class PublishLog {
  readonly seqs = new Map<string, number[]>();

  constructor(private readonly broker: MemoryBroker) {}

  /** Synchronous, so a test can publish a burst exactly while a connection is down. */
  publish(channel: string, data: unknown = { type: 'price:update', price: Math.random() }): number {
    const { seq } = this.broker.publishNow(channel, data);
    const list = this.seqs.get(channel) ?? [];
    list.push(seq);
    this.seqs.set(channel, list);
    return seq;
  }

  of(channel: string): number[] {
    return this.seqs.get(channel) ?? [];
  }

  last(channel: string): number {
    return this.of(channel).at(-1) ?? 0;
  }
}

export async function waitUntil(condition: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
