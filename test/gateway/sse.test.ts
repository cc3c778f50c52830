// Server-Sent Events (docs/sse.md): GET /sse with the same channels, auth,
// limits and Origin checks as /ws; every data message one event with a
// cursor id; a reconnect with Last-Event-ID resumes every channel exactly
// (replaying/subscribed as on WebSocket); conflation accounts for every
// message; the README's curl example works.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { MemoryBroker } from '../../src/broker/broker-memory.js';
import type { DataMessage } from '@odin-gateway/client/protocol';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { SseClient } from '../helpers/sse-client.js';
import { hs256, SECRET_A } from '../identity/identity-fixtures.js';

const CHANNELS = ['token.AAA.price', 'token.BBB.price'];

function publish(broker: MemoryBroker, n: number): void {
  for (let i = 0; i < n; i++) for (const channel of CHANNELS) broker.publishNow(channel, { type: 'price:update', i });
}

function published(broker: MemoryBroker): Map<string, number[]> {
  const seqs = new Map<string, number[]>(CHANNELS.map((c) => [c, []]));
  broker.onMessage((m) => seqs.get(m.channel)?.push(m.seq));
  return seqs;
}

test("the README's curl -N example streams events", { timeout: 30_000 }, async () => {
  const h = await startTestGateway();
  try {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const example = /^curl -N '(http:\/\/localhost:3004\/sse\?[^']+)'$/m.exec(readme);
    assert.ok(example, 'README has a curl -N line for /sse');
    const url = example[1]!.replace('localhost:3004', `127.0.0.1:${h.port}`);
    const channels = new URL(url).searchParams.get('channels')!.split(',');
    const curl = spawn('curl', ['-sS', '-N', '--max-time', '20', url]);
    let out = '';
    curl.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    const subscribed = (): number => (out.match(/^event: subscribed$/gm) ?? []).length;
    const deadline = Date.now() + 15_000;
    while (subscribed() < channels.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(subscribed(), channels.length, out);
    for (const channel of channels) (h.broker as MemoryBroker).publishNow(channel, { type: 'price:update', price: 1 });
    while ((out.match(/^event: message$/gm) ?? []).length < channels.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    curl.kill();
    const messages = out.split('\n').filter((l) => l.startsWith('data: {"type":"message"')).map((l) => JSON.parse(l.slice(6)) as DataMessage);
    assert.deepEqual(messages.map((m) => m.channel).sort(), [...channels].sort());
    assert.match(out, /^id: \S+@\S+$/m, 'events carry a cursor id');
  } finally {
    await h.stop();
  }
});

test('SSE: a stream dropped again and again resumes with Last-Event-ID: every message exactly once, in order, with replaying/subscribed proof', { timeout: 60_000 }, async () => {
  const h = await startTestGateway({ pingIntervalMs: 200 });
  const broker = h.broker as MemoryBroker;
  const seqs = published(broker);
  try {
    const client = new SseClient(`${h.httpUrl}/sse?channels=${CHANNELS.join(',')}`);
    await client.connect();
    assert.equal(client.status, 200);
    assert.match(String(client.headers['content-type']), /^text\/event-stream/);
    await client.waitFor(() => client.ofEvent('subscribed').length === 2, 10_000, 'subscribed twice');
    assert.ok(client.retryMs !== undefined && client.retryMs >= 1000, 'retry: is set');
    for (let round = 0; round < 4; round++) {
      publish(broker, 20);
      await client.waitFor(() => client.data.length >= (round + 1) * 40 - 10, 10_000, `round ${round}: traffic`);
      client.drop();
      publish(broker, 15); // missed while away
      await client.connect();
      await client.waitFor(() => client.json<{ recovered: boolean }>('replaying').length === 2 * (round + 1), 10_000, `round ${round}: replaying`);
    }
    publish(broker, 10);
    const total = CHANNELS.length * (4 * 35 + 10);
    await client.waitFor(() => client.data.length >= total, 10_000, `all ${total} messages`);
    assert.deepEqual(client.gaps, []);
    for (const channel of CHANNELS) assert.deepEqual(client.dataOn(channel).map((m) => m.seq), seqs.get(channel), `${channel}: every message once, in order`);
    assert.ok(client.json<{ recovered: boolean }>('replaying').every((r) => r.recovered), 'every resume recovered');
    assert.ok(client.json<{ recovered: boolean }>('subscribed').slice(2).every((s) => s.recovered), 'resumed subscriptions say recovered: true');
    await client.waitFor(() => client.comments.includes('keepalive'), 5000, 'a comment heartbeat');
    const metrics = await fetchMetrics(h.httpUrl);
    assert.equal(metricValue(metrics, 'ws_sse_connections_total'), 5);
    client.drop();
  } finally {
    await h.stop();
  }
});

test('SSE with &conflate: delivered + skipped = published per channel; a resume stands for what was missed', { timeout: 60_000 }, async () => {
  const h = await startTestGateway();
  const broker = h.broker as MemoryBroker;
  const seqs = published(broker);
  try {
    const client = new SseClient(`${h.httpUrl}/sse?channels=token.*.price&conflate=100`);
    await client.connect();
    await client.waitFor(() => client.ofEvent('subscribed').length === 1, 10_000, 'subscribed');
    assert.equal(client.json<{ conflate: number }>('subscribed')[0]!.conflate, 100);
    const accounted = (channel: string): number => client.dataOn(channel).reduce((n, m) => n + 1 + (m.skipped ?? 0), 0);
    for (let b = 0; b < 20; b++) {
      publish(broker, 10);
      await new Promise((r) => setTimeout(r, 20));
    }
    await client.waitFor(() => CHANNELS.every((c) => accounted(c) === seqs.get(c)!.length), 10_000, 'accounted live');
    client.drop();
    publish(broker, 30);
    await client.connect();
    await client.waitFor(() => CHANNELS.every((c) => accounted(c) === seqs.get(c)!.length), 10_000, 'accounted across the resume');
    assert.deepEqual(client.gaps, []);
    assert.ok(client.data.length < 200, `conflated: ${client.data.length} of 460 sent`);
    client.drop();
  } finally {
    await h.stop();
  }
});

test('SSE refusals: bad token 401, Origin 403, bad channels/conflate/cursor 400, private channel of another user an odin-error event; Bearer header and ?token= both identify', { timeout: 30_000 }, async () => {
  const h = await startTestGateway({ jwtSecret: SECRET_A, allowedOrigins: ['https://app.example'] });
  try {
    const status = async (path: string, headers: Record<string, string> = {}): Promise<number> => (await fetch(`${h.httpUrl}${path}`, { headers })).status;
    const refusedToken = await fetch(`${h.httpUrl}/sse?channels=token.BTC.price&token=garbage`);
    assert.equal(refusedToken.status, 401);
    assert.deepEqual(((await refusedToken.json()) as { code: string; reason: string }).reason, 'TOKEN_MALFORMED', 'the body names why');
    const expired = await fetch(`${h.httpUrl}/sse?channels=token.BTC.price&token=${await hs256(SECRET_A, { expiresIn: -60 })}`);
    assert.deepEqual(await expired.json(), { code: 'UNAUTHORIZED', reason: 'TOKEN_EXPIRED', message: 'the token has expired: get a fresh one' });
    assert.equal(await status('/sse?channels=token.BTC.price', { origin: 'https://evil.example' }), 403);
    assert.equal(await status('/sse'), 400);
    assert.equal(await status('/sse?channels=bad..name'), 400);
    assert.equal(await status('/sse?channels=token.BTC.price&conflate=50'), 400);
    assert.equal(await status('/sse?channels=token.BTC.price', { 'last-event-id': '1-2@e' }), 400, 'a cursor for another channels list');
    const token = await hs256(SECRET_A, { sub: 'alice' });
    const viaQuery = new SseClient(`${h.httpUrl}/sse?channels=trades.user.alice,trades.user.bob&token=${token}`, { origin: 'https://app.example' });
    await viaQuery.connect();
    assert.equal(viaQuery.headers['access-control-allow-origin'], 'https://app.example');
    await viaQuery.waitFor(() => viaQuery.ofEvent('subscribed').length === 1 && viaQuery.ofEvent('odin-error').length === 1, 10_000, 'one subscribed, one refusal');
    assert.equal(viaQuery.json<{ user: string }>('welcome')[0]!.user, 'alice');
    assert.deepEqual(viaQuery.json<{ code: string; channel: string }>('odin-error').map((e) => [e.code, e.channel]), [['FORBIDDEN', 'trades.user.bob']]);
    const viaHeader = new SseClient(`${h.httpUrl}/sse?channels=trades.user.alice`, { authorization: `Bearer ${token}` });
    await viaHeader.connect();
    await viaHeader.waitFor(() => viaHeader.ofEvent('welcome').length === 1, 10_000, 'welcome');
    assert.equal(viaHeader.json<{ user: string }>('welcome')[0]!.user, 'alice');
    viaQuery.drop();
    viaHeader.drop();
    const metrics = await fetchMetrics(h.httpUrl);
    assert.equal(metricValue(metrics, 'ws_connections_failed_total', { reason: 'unauthorized' }), 2, 'the malformed and the expired token');
    assert.equal(metricValue(metrics, 'ws_connections_failed_total', { reason: 'origin' }), 1);
    assert.equal(metricValue(metrics, 'ws_connections_failed_total', { reason: 'invalid_stream' }), 4);
  } finally {
    await h.stop();
  }
});

test('SSE on shutdown: a close event with 1001, then the stream ends (EventSource reconnects elsewhere)', { timeout: 30_000 }, async () => {
  const h = await startTestGateway();
  const client = new SseClient(`${h.httpUrl}/sse?channels=token.BTC.price`);
  await client.connect();
  await client.waitFor(() => client.ofEvent('subscribed').length === 1, 10_000, 'subscribed');
  await h.stop();
  await client.waitFor(() => client.ended, 10_000, 'the stream ends');
  assert.deepEqual(client.json<{ code: number; reason: string }>('close'), [{ code: 1001, reason: 'SERVER_SHUTDOWN' }]);
});

test('SSE as docs/sse.md writes it: retry: 1 to 3 s, the cursor is every entry\'s seq in base 36 @ epoch, and a resume past the history answers recovered:false with the latest message of each channel', { timeout: 30_000 }, async () => {
  const h = await startTestGateway({ historySize: 10 });
  const broker = h.broker as MemoryBroker;
  const seqs = published(broker);
  try {
    const client = new SseClient(`${h.httpUrl}/sse?channels=${CHANNELS.join(',')}`);
    await client.connect();
    await client.waitFor(() => client.ofEvent('subscribed').length === 2, 10_000, 'subscribed twice');
    assert.ok(client.retryMs !== undefined && client.retryMs >= 1000 && client.retryMs <= 3000, `retry: ${client.retryMs}`);
    const positions = client.json<{ position: { seq: number } }>('subscribed').map((s) => s.position.seq);
    publish(broker, 20);
    await client.waitFor(() => client.data.length === 40, 10_000, '40 messages');
    const epoch = broker.epoch();
    const messageEvents = client.ofEvent('message');
    for (const [i, event] of messageEvents.entries()) {
      const m = client.data[i]!;
      positions[CHANNELS.indexOf(m.channel)] = m.seq;
      assert.equal(event.id, `${positions.map((seq) => seq.toString(36)).join('-')}@${epoch}`, `the cursor after message ${i}`);
    }
    client.drop();
    publish(broker, 30); // more than the 10 kept per channel: history is gone
    await client.connect();
    await client.waitFor(() => client.ofEvent('subscribed').length === 4, 10_000, 'resubscribed');
    assert.deepEqual(client.json<{ recovered: boolean }>('replaying').map((r) => r.recovered), [false, false]);
    const after = client.data.slice(40);
    assert.deepEqual(after.map((m) => m.channel).sort(), [...CHANNELS].sort(), 'one message per channel');
    for (const m of after) assert.equal(m.seq, seqs.get(m.channel)!.at(-1), `${m.channel}: the latest message`);
    assert.deepEqual(client.json<{ recovered: boolean }>('subscribed').slice(2).map((s) => s.recovered), [false, false]);
    // A cursor of another epoch: recovered:false too.
    client.drop();
    client.lastEventId = `1-1@another${epoch}`.slice(0, 64);
    await client.connect();
    await client.waitFor(() => client.ofEvent('subscribed').length === 6, 10_000, 'resubscribed with a foreign epoch');
    assert.deepEqual(client.json<{ recovered: boolean }>('replaying').slice(2).map((r) => r.recovered), [false, false]);
    client.drop();
  } finally {
    await h.stop();
  }
});
