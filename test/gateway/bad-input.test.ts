// Bad input gets a clear error code, is counted, and repeated abuse closes
// the connection; other clients are not disturbed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { TestClient } from '../helpers/test-client.js';

function lastError(c: TestClient) {
  return c.ofType('error').at(-1);
}

test('each kind of bad message gets its error code and is counted', async () => {
  const h = await startTestGateway({ maxSubscriptions: 2 });
  try {
    const c = await TestClient.connect(h.url);
    const cases: Array<[unknown, string]> = [
      ['{not json', 'INVALID_JSON'],
      ['[1,2,3]', 'INVALID_MESSAGE'],
      [{ type: 'subscribe' }, 'INVALID_MESSAGE'],
      [{ type: 'subscribe', channels: [{ channel: 'a', since: { seq: -1, epoch: 'x' } }] }, 'INVALID_MESSAGE'],
      [{ type: 'dance' }, 'UNKNOWN_TYPE'],
      [{ type: 'replay', since: 3 }, 'REPLAY_NOT_SUPPORTED'],
      [{ type: 'subscribe', channels: ['token..price'] }, 'INVALID_CHANNEL'],
      [{ type: 'subscribe', channels: ['a.>.b'] }, 'INVALID_CHANNEL'],
      [{ type: 'subscribe', channels: ['trades.user.alice'] }, 'FORBIDDEN'],
      [{ type: 'subscribe', channels: ['trades.user.*'] }, 'FORBIDDEN'],
      [{ type: 'subscribe', channels: ['>'] }, 'FORBIDDEN'],
      [{ type: 'subscribe', channels: ['a', 'b', 'c'] }, 'TOO_MANY_SUBSCRIPTIONS'],
    ];
    for (const [message, code] of cases) {
      const before = c.ofType('error').length;
      c.send(message);
      await c.waitFor(() => c.ofType('error').length > before, 5000, code);
      assert.equal(lastError(c)!.code, code, `for ${JSON.stringify(message)}`);
      assert.ok(lastError(c)!.message.length > 0);
    }
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await c.waitFor(() => lastError(c)?.code === 'BINARY_NOT_SUPPORTED');
    assert.match(c.ofType('error').find((e) => e.code === 'REPLAY_NOT_SUPPORTED')!.message, /since/);
    assert.equal(c.closeCode, undefined, 'a few errors do not close the connection');
    const text = await fetchMetrics(h.httpUrl);
    assert.equal(metricValue(text, 'ws_client_errors_total', { code: 'FORBIDDEN' }), 3);
    assert.equal(metricValue(text, 'ws_client_errors_total', { code: 'INVALID_MESSAGE' }), 3);
    c.close();
  } finally {
    await h.stop();
  }
});

test('a frame over the size limit closes the connection with 1009 and is counted', async () => {
  const h = await startTestGateway({ maxFrameBytes: 1024 });
  try {
    const c = await TestClient.connect(h.url);
    c.send({ type: 'ping', pad: 'x'.repeat(2000) });
    assert.equal(await c.waitClosed(), 1009);
    const text = await fetchMetrics(h.httpUrl);
    assert.equal(metricValue(text, 'ws_client_errors_total', { code: 'MESSAGE_TOO_BIG' }), 1);
  } finally {
    await h.stop();
  }
});

test('the inbound rate limit answers RATE_LIMIT_EXCEEDED, counts it, and a flood closes with 1008', async () => {
  const h = await startTestGateway({ rateLimitBurst: 5, rateLimitPerSec: 1, abuseBurst: 10, abusePerSec: 0.1 });
  try {
    const bystander = await TestClient.connect(h.url);
    const c = await TestClient.connect(h.url);
    for (let i = 0; i < 8; i++) c.send({ type: 'ping', id: i });
    await c.waitFor(() => c.ofType('pong').length === 5 && c.ofType('error').length === 3);
    assert.ok(c.ofType('error').every((e) => e.code === 'RATE_LIMIT_EXCEEDED'));
    assert.equal(c.closeCode, undefined);
    for (let i = 0; i < 20; i++) c.send({ type: 'ping' });
    assert.equal(await c.waitClosed(), 1008);
    assert.equal(c.closeReason, 'ABUSE');
    const text = await fetchMetrics(h.httpUrl);
    assert.ok(metricValue(text, 'ws_rate_limited_messages_total') >= 10);
    bystander.send({ type: 'ping', id: 'still-here' });
    await bystander.waitFor(() => bystander.ofType('pong').some((p) => p.id === 'still-here'));
    assert.equal(bystander.closeCode, undefined);
    bystander.close();
  } finally {
    await h.stop();
  }
});

test('heartbeat and ping from the reference client get a pong', async () => {
  const h = await startTestGateway();
  try {
    const c = await TestClient.connect(h.url);
    c.send({ type: 'heartbeat' });
    c.send({ type: 'ping', id: 'p1' });
    await c.waitFor(() => c.ofType('pong').length === 2);
    assert.equal(c.ofType('pong')[1]!.id, 'p1');
    assert.ok(c.ofType('pong')[0]!.ts > 0);
    c.close();
  } finally {
    await h.stop();
  }
});
