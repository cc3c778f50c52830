// A publisher engine with its control API on a free port over a memory broker,
// and a counter of what reaches the broker, per channel kind.
import { Registry } from 'prom-client';
import { MemoryBroker } from '../../src/broker/broker-memory.js';
import { createLogger } from '../../src/observability/logger.js';
import { startPublisher, type RunningPublisher } from '../../src/publisher/publisher-runtime.js';
import type { PublisherSettings } from '../../src/publisher/publisher-settings.js';

export interface PublisherHarness {
  publisher: RunningPublisher;
  broker: MemoryBroker;
  baseUrl: string;
  /** Messages the broker accepted, by channel. */
  received: string[];
  count(prefix: string): number;
  stop(): Promise<void>;
}

/** The control token every test publisher requires. */
export const TEST_CONTROL_TOKEN = 'test-control-token-0123456789';

export const TEST_SETTINGS: PublisherSettings = {
  messagesPerSecond: 10,
  tokens: ['BTC', 'ETH', 'ODIN', 'SOL', 'DOGE'],
  duration: 0,
  statisticsIntervalMs: 30_000,
  tradeEventsPerSecond: 0,
  users: ['alice', 'bob', 'carol'],
  maxInFlight: 10_000,
};

export async function startTestPublisher(settings: Partial<PublisherSettings> = {}, allowedOrigins: readonly string[] = []): Promise<PublisherHarness> {
  const broker = new MemoryBroker({ historySize: 100, historyMaxAgeMs: 60_000 });
  await broker.start();
  const received: string[] = [];
  broker.onMessage((m) => received.push(m.channel));
  const publisher = await startPublisher({
    broker,
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    registry: new Registry(),
    settings: { ...TEST_SETTINGS, ...settings },
    instanceId: 'test-publisher',
    control: { port: 0, host: '127.0.0.1', token: TEST_CONTROL_TOKEN, allowedOrigins },
  });
  return {
    publisher,
    broker,
    baseUrl: `http://127.0.0.1:${publisher.api!.port}`,
    received,
    count: (prefix) => received.filter((c) => c.startsWith(prefix)).length,
    async stop() {
      await publisher.stop();
      await broker.close();
    },
  };
}

export async function control(baseUrl: string, body: unknown, token = TEST_CONTROL_TOKEN): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${baseUrl}/control`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `ok` until it holds; the timeout is a bound for a broken publisher, not a measurement. */
export async function waitUntil(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}
