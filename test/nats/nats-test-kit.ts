// Shared pieces of the NATS tests: brokers on a test server, polling, and a
// publisher that keeps publishing through outages by retrying with msgIds.
import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { NatsBroker, type NatsBrokerOptions } from '../../src/broker/broker-nats.js';
import { createLogger } from '../../src/observability/logger.js';
import { startTestGateway, startTestGatewayListeningFirst, type GatewayHarness } from '../helpers/gateway-harness.js';
import { TestClient } from '../helpers/test-client.js';

let streamCounter = 0;

/** A stream name no other test in this process uses. */
export function uniqueStream(prefix = 'T'): string {
  return `${prefix}_${process.pid}_${++streamCounter}`;
}

export function testLogger(name: string) {
  return createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', { test: name });
}

/**
 * A broker as a process without history flags: limits not given in
 * `overrides` are defaults (1000 messages, 600 s here), adopted from a stream
 * that already exists; given ones must match it.
 */
export function natsBroker(servers: string, overrides: Partial<NatsBrokerOptions> = {}): NatsBroker {
  const defaulted = (['historySize', 'historyMaxAgeSec'] as const).filter((limit) => overrides[limit] === undefined);
  return new NatsBroker({
    servers: servers.split(','),
    name: 'ODIN',
    historySize: 1000,
    historyMaxAgeSec: 600,
    defaulted,
    replicas: 1,
    storage: 'file',
    logger: testLogger('broker'),
    ...overrides,
  });
}

/** `state`, when given, is printed with a timeout: what the test saw when it gave up. */
/** Deletes every stream on the server at `url`: tests that own `odin.>` start from an empty server (streams may not overlap). */
export async function deleteAllStreams(url: string): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names()) await jsm.streams.delete(name);
  } finally {
    await nc.close();
  }
}

export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition', state?: () => unknown): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${state ? `: ${JSON.stringify(state())}` : ''}`);
    await sleep(25);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Publishes n = 1, 2, 3, ... on a channel at a fixed pace into a queue; a
 * sender drains the queue in order, retrying each message with the same msgId
 * until the stream acknowledges it (so an outage delays, never loses or
 * duplicates). Payload: {type:"tick", n}.
 */
export class RetryingPublisher {
  produced = 0;
  acked = 0;
  retries = 0;
  private readonly queue: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending = false;
  private stopped = false;
  private readonly runId = Math.random().toString(36).slice(2, 8);

  constructor(
    private readonly broker: NatsBroker,
    private readonly channels: string[],
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.queue.push(++this.produced);
      void this.drain();
    }, this.intervalMs);
  }

  /** Stops producing; resolves when everything produced is acknowledged. */
  async finish(timeoutMs = 30_000): Promise<void> {
    clearInterval(this.timer);
    await waitUntil(() => this.acked === this.produced, timeoutMs, `publisher to flush (${this.acked}/${this.produced})`);
    this.stopped = true;
  }

  /** Stops at once (test cleanup), acknowledged or not. */
  stop(): void {
    clearInterval(this.timer);
    this.stopped = true;
  }

  /** Total messages published (each goes to one channel, round robin). */
  channelFor(n: number): string {
    return this.channels[(n - 1) % this.channels.length]!;
  }

  private async drain(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.queue.length > 0 && !this.stopped) {
        const n = this.queue[0]!;
        try {
          await this.broker.publish(this.channelFor(n), { type: 'tick', n }, { msgId: `${this.runId}-${n}` });
          this.queue.shift();
          this.acked++;
        } catch {
          this.retries++;
          await sleep(100);
        }
      }
    } finally {
      this.sending = false;
    }
  }
}

/** The tick numbers a client received on a channel, in arrival order. */
export function ticksOn(client: TestClient, channel: string): number[] {
  return client.dataOn(channel).map((m) => (m.data as { n: number }).n);
}

/** Every tick the publisher sent on `channel`, in order. */
export function expectedTicks(publisher: RetryingPublisher, channel: string): number[] {
  const out: number[] = [];
  for (let n = 1; n <= publisher.produced; n++) if (publisher.channelFor(n) === channel) out.push(n);
  return out;
}

/** Subscribe entries that resume each channel from the client's last position on it. */
export function resumeEntries(from: TestClient, channels: string[]): Array<{ channel: string; since: { seq: number; epoch: string } }> {
  const epoch = from.data[0]?.epoch ?? '';
  return channels.map((channel) => ({ channel, since: { seq: from.lastSeq.get(channel) ?? 0, epoch } }));
}

/**
 * Asserts that what `first` got on a channel followed by what `second` got
 * (after resuming) is exactly the publisher's sequence: nothing lost, nothing
 * twice, `prev` continuous across the seam.
 */
export function assertSeamless(channel: string, expected: number[], first: TestClient, second?: TestClient): void {
  const messages = [...first.dataOn(channel), ...(second?.dataOn(channel) ?? [])];
  const ticks = messages.map((m) => (m.data as { n: number }).n);
  assert.deepEqual(ticks, expected, `${channel}: every tick exactly once, in order`);
  for (let i = 1; i < messages.length; i++) {
    assert.equal(messages[i]!.prev, messages[i - 1]!.seq, `${channel}: prev continuous at message ${i}`);
  }
  assert.deepEqual(first.gaps, [], 'no gap seen by the first client');
  if (second) assert.deepEqual(second.gaps, [], 'no gap seen by the resumed client');
}

/** ws_nats_connected from a gateway's /metrics. */
export async function natsConnectedGauge(httpUrl: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const match = /^ws_nats_connected(?:\{[^}]*\})? (\S+)$/m.exec(text);
  return match ? Number(match[1]) : NaN;
}

/** /health's HTTP status and its NATS check. */
export async function healthOf(httpUrl: string): Promise<{ status: number; natsHealthy: boolean }> {
  const res = await fetch(`${httpUrl}/health`);
  const body = (await res.json()) as { checks: { nats: { healthy: boolean } } };
  return { status: res.status, natsHealthy: body.checks.nats.healthy };
}

/**
 * What a multi-gateway NATS test starts, and stops in reverse in `cleanup()`,
 * also when the test fails halfway.
 */
export class NatsScene {
  readonly brokers: NatsBroker[] = [];
  readonly gateways: GatewayHarness[] = [];
  readonly clients: TestClient[] = [];
  private readonly stoppers: Array<() => void> = [];

  /** Starts a gateway over its own NATS broker. */
  async addGateway(servers: string, overrides: Partial<NatsBrokerOptions> = {}): Promise<GatewayHarness> {
    const broker = natsBroker(servers, overrides);
    this.brokers.push(broker);
    const gateway = await startTestGateway({}, broker);
    this.gateways.push(gateway);
    return gateway;
  }

  /**
   * Starts a gateway as `odin gateway` does (listening before its broker
   * starts) and waits for /readyz to answer 200: on a forming cluster the
   * broker retries transient JetStream errors meanwhile.
   */
  async addReadyGateway(servers: string, overrides: Partial<NatsBrokerOptions> = {}, timeoutMs = 60_000): Promise<GatewayHarness> {
    const broker = natsBroker(servers, overrides);
    this.brokers.push(broker);
    const { harness } = await startTestGatewayListeningFirst(broker);
    this.gateways.push(harness);
    await waitUntil(async () => (await fetch(`${harness.httpUrl}/readyz`)).status === 200, timeoutMs, 'the gateway to be ready', () => harness.gateway.readiness());
    return harness;
  }

  /** A publish-only broker with a publisher that retries through outages, started. */
  async startPublisher(servers: string, channels: string[], perTick: number, overrides: Partial<NatsBrokerOptions> = {}): Promise<RetryingPublisher> {
    const broker = natsBroker(servers, { consume: false, ...overrides });
    this.brokers.push(broker);
    await broker.start();
    const publisher = new RetryingPublisher(broker, channels, perTick);
    this.stoppers.push(() => publisher.stop());
    publisher.start();
    return publisher;
  }

  async connect(url: string): Promise<TestClient> {
    const client = await TestClient.connect(url);
    this.clients.push(client);
    return client;
  }

  async cleanup(): Promise<void> {
    for (const stop of this.stoppers) stop();
    for (const c of this.clients) c.ws.terminate();
    for (const g of this.gateways) await g.stop();
    for (const b of this.brokers) await b.close().catch(() => undefined);
  }
}
