// Issue 10, finding 8: replacing a subscription must not leak the
// ws_subscriptions_active gauge, and every entry gets its answer even when a
// later subscribe of the same channel follows at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MemoryBroker } from '../../src/broker/broker-memory.js';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { TestClient } from '../helpers/test-client.js';
import { LiveBystander } from './live-bystander.js';

test('500 back-to-back replacements: each answered in order, the gauge counts one subscription, and zero after the close', async () => {
  const h = await startTestGateway({ rateLimitBurst: 10_000 });
  const broker = h.broker as MemoryBroker;
  try {
    const bystander = await LiveBystander.start(h.url, broker);
    broker.publishNow('token.BTC.price', { type: 'price:update', p: 1 });
    const since = { seq: 1, epoch: broker.epoch() };
    const c = await TestClient.connect(h.url);
    for (let i = 0; i < 500; i++) c.send({ type: 'subscribe', id: i, channels: [i % 2 ? 'token.BTC.price' : { channel: 'token.BTC.price', since }] });
    await c.waitFor(() => c.ofType('subscribed').length === 500, 20_000, '500 answers');
    assert.deepEqual(
      c.ofType('subscribed').map((m) => m.id),
      Array.from({ length: 500 }, (_, i) => i),
      'answers in request order',
    );
    assert.equal(metricValue(await fetchMetrics(h.httpUrl), 'ws_subscriptions_active'), 2, 'the bystander and this one');
    c.close();
    await c.waitClosed();
    await c.waitFor(() => h.gateway.connections.size === 1, 5000, 'server saw the close');
    assert.equal(metricValue(await fetchMetrics(h.httpUrl), 'ws_subscriptions_active'), 1, 'only the bystander');
    await bystander.finish('subscription replacement churn', 3000);
  } finally {
    await h.stop();
  }
});
