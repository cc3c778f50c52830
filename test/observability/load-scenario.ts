// A small, real load on a running gateway that makes it produce every metric
// series and every log event the dashboards and alerts look at: steady
// subscribers, resumes (recovered and not), a flood over the rate limit, bad
// input, a slow client that stops reading, refusals at capacity and on a
// wrong path. Real WebSocket clients over loopback; bounded in time.
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { TestClient } from '../helpers/test-client.js';

export interface ScenarioTarget {
  wsUrl: string;
  httpUrl: string;
  /** The gateway's --max-connections. */
  maxConnections: number;
}

export async function metricsText(httpUrl: string): Promise<string> {
  const res = await fetch(`${httpUrl}/metrics`);
  return res.text();
}

/** Sum of a metric's samples in a Prometheus text exposition (0 when absent). */
export function sampleSum(text: string, name: string, labelFilter = ''): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    if (labelFilter && !rest.includes(labelFilter)) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

async function waitUntil(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Subscribers that stay for the whole run: live deliveries, latest values. */
export async function steadySubscribers(target: ScenarioTarget, count: number): Promise<TestClient[]> {
  const clients: TestClient[] = [];
  for (let i = 0; i < count; i++) {
    const c = await TestClient.connect(target.wsUrl);
    await c.subscribe([{ channel: 'token.*.price', latest: true }, { channel: 'market.statistics', latest: true }]);
    clients.push(c);
  }
  await clients[0]!.waitFor(() => clients.every((c) => c.data.length >= 3), 10_000, 'live prices');
  return clients;
}

/**
 * One client takes a few prices, leaves, and comes back with its position
 * (recovered: true); another resumes from an unknown epoch (recovered: false).
 */
export async function resumeRound(target: ScenarioTarget): Promise<{ recovered: boolean | undefined; notRecovered: boolean | undefined }> {
  const first = await TestClient.connect(target.wsUrl);
  await first.subscribe(['token.BTC.price']);
  await first.waitFor(() => first.dataOn('token.BTC.price').length >= 2, 10_000, 'BTC prices');
  const last = first.dataOn('token.BTC.price').at(-1)!;
  first.close();
  await first.waitClosed();
  await sleep(200);

  const back = await TestClient.connect(target.wsUrl);
  const [answer] = await back.subscribe([{ channel: 'token.BTC.price', since: { seq: last.seq, epoch: last.epoch } }]);
  const [lost] = await back.subscribe([{ channel: 'token.ETH.price', since: { seq: 1, epoch: 'an-epoch-that-never-was' } }]);
  back.close();
  await back.waitClosed();
  return { recovered: answer?.recovered, notRecovered: lost?.recovered };
}

/** Floods past the rate limit and sends bad input. */
export async function floodAndBadInput(target: ScenarioTarget, messages: number): Promise<void> {
  const c = await TestClient.connect(target.wsUrl);
  c.send('this is not JSON');
  c.send({ type: 'replay', since: 1 });
  for (let i = 0; i < messages; i++) c.send({ type: 'ping', id: i });
  await c.waitFor(() => c.ofType('error').some((e) => e.code === 'RATE_LIMIT_EXCEEDED') || c.closeCode !== undefined, 10_000, 'RATE_LIMIT_EXCEEDED');
  c.close();
  await c.waitClosed();
}

/**
 * A client that stops reading: it subscribes to everything, pauses its socket,
 * then asks for the whole history again and again (replays are big writes).
 * The gateway must close it as slow (4000) once its queue passes MAX_QUEUE_BYTES.
 */
export async function slowClient(target: ScenarioTarget): Promise<void> {
  const before = sampleSum(await metricsText(target.httpUrl), 'ws_slow_clients_disconnected_total');
  const c = await TestClient.connect(target.wsUrl);
  const [sub] = await c.subscribe([{ channel: 'token.*.price', latest: true }]);
  const epoch = sub!.position.epoch;
  (c.ws as unknown as { _socket: Socket })._socket.pause();
  // Each ask writes one replay page (half the byte budget) into a socket nobody reads; the kernel's send buffer
  // (up to 4 MiB on loopback) fills first, so how many asks it takes depends on the machine: keep asking until the
  // gateway closes the client, paced within the rate limit (a burst of 30 asks of 3 units, then 2.5 asks/s under its
  // 10 units/s) so that the close is 4000, never 1008 for abuse.
  let asked = 0;
  let lastAskAt = 0;
  await waitUntil(async () => {
    if (asked < 30 || Date.now() - lastAskAt >= 400) {
      asked++;
      lastAskAt = Date.now();
      c.send({ type: 'subscribe', channels: [{ channel: 'token.*.price', since: { seq: 0, epoch } }, { channel: 'market.statistics', since: { seq: 0, epoch } }] });
    }
    return sampleSum(await metricsText(target.httpUrl), 'ws_slow_clients_disconnected_total') > before;
  }, 'the slow client to be closed (ws_slow_clients_disconnected_total)', 90_000);
  c.ws.terminate();
}

/**
 * Opens connections until the gateway refuses one with 503 (at_capacity); it
 * must do so within its --max-connections. Returns how many it accepted.
 */
export async function fillToCapacity(target: ScenarioTarget): Promise<number> {
  const extra: TestClient[] = [];
  try {
    for (let i = 0; i <= target.maxConnections; i++) {
      try {
        extra.push(await TestClient.connect(target.wsUrl));
      } catch (err) {
        if (/503/.test((err as Error).message)) return extra.length;
        throw err;
      }
    }
    throw new Error(`${extra.length} connections accepted with --max-connections ${target.maxConnections}: no refusal at capacity`);
  } finally {
    for (const c of extra) c.close();
    await Promise.all(extra.map((c) => c.waitClosed()));
  }
}

/** An upgrade on a wrong path: refused with 404 (ws_connections_failed_total{reason="not_found"}). */
export async function wrongPath(target: ScenarioTarget): Promise<number> {
  const ws = new WebSocket(target.wsUrl.replace(/\/ws$/, '/not-a-socket'));
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('open', () => reject(new Error('upgrade on a wrong path was accepted')));
    ws.once('error', () => undefined);
  });
}

/** The server API key the scenario's gateways are started with (--api-key). */
export const SCENARIO_API_KEY = 'scenario-api-key-0123456789';

/**
 * Server API traffic, so that every API series has data: single and batch
 * publishes, history, channels, a disconnect (of a user with no connection
 * here) and a refusal.
 */
export async function apiTraffic(target: ScenarioTarget): Promise<void> {
  const call = async (method: string, path: string, body?: unknown): Promise<number> => {
    const res = await fetch(`${target.httpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${SCENARIO_API_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    await res.arrayBuffer();
    return res.status;
  };
  const ok = [
    await call('POST', '/api/publish', { channel: 'scenario.api', data: { n: 1 }, idempotencyKey: `scenario-${Date.now()}` }),
    await call('POST', '/api/publish', { messages: [{ channel: 'scenario.api', data: { n: 2 } }, { channel: 'scenario.api', data: { n: 3 } }] }),
    await call('GET', '/api/history?channel=scenario.api&limit=10'),
    await call('GET', '/api/channels'),
    await call('POST', '/api/disconnect', { user: 'nobody' }),
  ];
  if (ok.some((s) => s !== 200)) throw new Error(`server API traffic refused: ${ok.join(',')}`);
  if ((await call('POST', '/api/publish', { channel: 'scenario.*', data: 1 })) !== 400) throw new Error('a wildcard publish was not refused');
}
