// Issue 10, finding 1: large subscribes must cost in proportion to their
// entries, and the inbound limit must count entries, not frames.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MemoryBroker } from '../../src/broker/broker-memory.js';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { TestClient } from '../helpers/test-client.js';
import { LiveBystander } from './live-bystander.js';

const entries = (n: number, prefix: string): string[] => Array.from({ length: n }, (_, i) => `token.${prefix}${i}.price`);

test('100-entry subscribes against 100 subscriptions, 10 per second, do not stall a bystander (limits lifted to isolate the cost)', async () => {
  const h = await startTestGateway({ rateLimitBurst: 100_000, rateLimitPerSec: 100_000, abuseBurst: 100_000, abusePerSec: 100_000 });
  try {
    const bystander = await LiveBystander.start(h.url, h.broker as MemoryBroker);
    const attacker = await TestClient.connect(h.url);
    await attacker.subscribe(entries(99, 'A'));
    // Each entry replaces an existing subscription and is checked against all of them for overlap.
    for (let round = 0; round < 30; round++) {
      attacker.send({ type: 'subscribe', id: `r${round}`, channels: entries(99, 'A').concat('token.*.volume') });
      await new Promise((r) => setTimeout(r, 100));
    }
    await attacker.waitFor(() => attacker.ofType('subscribed').filter((m) => m.id === 'r29').length === 100, 30_000, 'the last round answered');
    await bystander.finish('quadratic-subscribe attack');
    attacker.close();
  } finally {
    await h.stop();
  }
});

test('with the default limits a 100-entry subscribe spends the whole burst: the next ones are refused and counted, the flood closes with 1008', async () => {
  const h = await startTestGateway();
  try {
    const bystander = await LiveBystander.start(h.url, h.broker as MemoryBroker);
    const attacker = await TestClient.connect(h.url);
    await attacker.subscribe(entries(100, 'A'));
    for (let round = 0; round < 40 && attacker.closeCode === undefined; round++) {
      attacker.send({ type: 'subscribe', id: `r${round}`, channels: entries(100, 'A') });
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(await attacker.waitClosed(), 1008);
    const refused = attacker.ofType('error').filter((e) => e.code === 'RATE_LIMIT_EXCEEDED');
    assert.ok(refused.length >= 10, `refused ${refused.length} subscribes`);
    const metrics = await fetchMetrics(h.httpUrl);
    assert.ok(metricValue(metrics, 'ws_rate_limited_messages_total') >= refused.length);
    await bystander.finish('subscribe flood', 3000);
  } finally {
    await h.stop();
  }
});
