// A well-behaved client beside an attack: subscribed to a live channel, it
// records every message's publish-to-receive latency and checks continuity.
// Each hostile test asserts it saw no gap and no close, kept receiving after
// the attack, and prints its figures.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import type { Broker } from '../../src/broker/broker.js';
import { TestClient } from '../helpers/test-client.js';

export const LIVE_CHANNEL = 'token.BTC.price';

export class Bystander {
  worstLatencyMs = 0;
  private readonly latencies: number[] = [];

  private constructor(
    readonly client: TestClient,
    readonly channel: string,
  ) {
    client.ws.on('message', () => {
      const now = Date.now();
      for (const m of client.data.slice(this.latencies.length)) {
        const ms = now - m.ts;
        this.latencies.push(ms);
        if (ms > this.worstLatencyMs) this.worstLatencyMs = ms;
      }
    });
  }

  /** Connects, subscribes and waits for the first live messages. */
  static async join(url: string, channel = LIVE_CHANNEL): Promise<Bystander> {
    const client = await TestClient.connect(url);
    const b = new Bystander(client, channel);
    await client.subscribe([{ channel }]);
    await b.keepsReceiving(3);
    return b;
  }

  get received(): number {
    return this.client.dataOn(this.channel).length;
  }

  /** Waits for `n` more messages than now: the positive marker that it is still served. */
  async keepsReceiving(n = 20, timeoutMs = 20_000): Promise<void> {
    const target = this.received + n;
    await this.client.waitFor(() => this.received >= target || this.client.closeCode !== undefined, timeoutMs, `${n} more messages on ${this.channel}`);
    assert.equal(this.client.closeCode, undefined, `bystander closed with ${this.client.closeCode}`);
  }

  percentile(p: number): number {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  }

  /** No gap, no close, and the figures printed for the record. */
  assertUnharmed(label: string): void {
    console.log(`# bystander under ${label}: ${this.received} messages, p99 ${this.percentile(99)} ms, worst ${this.worstLatencyMs} ms, gaps ${this.client.gaps.length}`);
    assert.deepEqual(this.client.gaps, [], 'bystander saw a gap');
    assert.equal(this.client.closeCode, undefined, 'bystander was closed');
  }

  close(): void {
    this.client.close();
  }
}

/** Publishes on the live channel every `everyMs` until stopped. */
export function publishContinuously(broker: Broker, channel = LIVE_CHANNEL, everyMs = 20): { stop(): void } {
  let n = 0;
  const timer = setInterval(() => void broker.publish(channel, { price: 100 + (n++ % 10) }).catch(() => undefined), everyMs);
  return { stop: () => clearInterval(timer) };
}

/** Opens a raw TCP socket to the gateway and resolves once connected; it records when the server closes it. */
export function rawSocket(port: number): Promise<Socket & { closedAt?: number }> {
  return new Promise((resolve) => {
    const s: Socket & { closedAt?: number } = connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    s.on('close', () => (s.closedAt = Date.now()));
    s.once('connect', () => resolve(s));
    // A connection the server drops before accept completes still ends here.
    s.once('close', () => resolve(s));
  });
}

/** Resolves once every socket is closed (the server's deadline or cap did it). */
export async function allClosed(sockets: Array<{ closedAt?: number }>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (sockets.some((s) => s.closedAt === undefined)) {
    if (Date.now() > deadline) throw new Error(`${sockets.filter((s) => s.closedAt === undefined).length} of ${sockets.length} ${what} still open after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
