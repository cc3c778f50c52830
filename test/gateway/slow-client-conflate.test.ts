// --slow-client conflate (docs/protocol.md, "Conflation", "Slow clients"): a
// client reading at about a tenth of the rate is not closed with 4000; its
// subscription is switched to conflation (a `conflating` message), what the
// server holds for it stays within the budget, and every published message is
// still accounted for (delivered + skipped = published per channel). A fast
// client on the same channels gets every message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MemoryBroker } from '../../src/broker/broker-memory.js';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { TestClient } from '../helpers/test-client.js';

const CHANNELS = ['token.AAA.price', 'token.BBB.price', 'token.CCC.price'];
const BUDGET = 64 * 1024;
const PAD = 'x'.repeat(1000);

test('--slow-client conflate: a client reading far slower than the rate stays connected, conflated, with bounded server memory, and every message accounted for', { timeout: 120_000 }, async () => {
  const h = await startTestGateway({ slowClient: 'conflate', maxQueueBytes: BUDGET });
  const broker = h.broker as MemoryBroker;
  const published = new Map<string, number>(CHANNELS.map((c) => [c, 0]));
  broker.onMessage((m) => published.set(m.channel, (published.get(m.channel) ?? 0) + 1));
  let reading = true;
  try {
    const slow = await TestClient.connect(h.url);
    const fast = await TestClient.connect(h.url);
    await slow.subscribe(['token.*.price']);
    await fast.subscribe(['token.*.price']);
    const slowConn = [...h.gateway.connections].find((c) => c.isOpen && c.subscription('token.*.price') !== undefined)!;
    const publishTurn = (turn: number): void => {
      for (let i = 0; i < 30; i++) for (const channel of CHANNELS) broker.publishNow(channel, { type: 'price:update', turn, i, pad: PAD });
    };
    let maxQueued = 0;
    let turns = 0;
    // Phase 1: the slow client reads nothing until the server has switched it (a positive marker, not a timing guess).
    slow.ws.pause();
    const sub = () => slowConn.subscription('token.*.price');
    while (sub()?.conflate === 0 && turns < 3000) {
      publishTurn(turns++);
      maxQueued = Math.max(maxQueued, slowConn.queuedBytes);
      await new Promise((r) => setImmediate(r));
      if (turns % 20 === 0) await fast.waitFor(() => fast.data.length >= turns * 90 - 4000, 60_000, 'the fast client keeps up');
    }
    assert.equal(sub()?.conflate, 1000, 'switched to 1 s conflation');
    // Phase 2: it reads in short bursts twice a second, far slower than the channels publish.
    const reader = (async () => {
      while (reading) {
        slow.ws.resume();
        await new Promise((r) => setTimeout(r, 10));
        if (!reading) break;
        slow.ws.pause();
        await new Promise((r) => setTimeout(r, 490));
      }
    })();
    for (let k = 0; k < 100; k++) {
      publishTurn(turns++);
      maxQueued = Math.max(maxQueued, slowConn.queuedBytes);
      await new Promise((r) => setImmediate(r));
      if (turns % 20 === 0) await fast.waitFor(() => fast.data.length >= turns * 90 - 4000, 60_000, 'the fast client keeps up');
    }
    reading = false;
    await reader;
    slow.ws.resume();
    const total = turns * 30;
    await fast.waitFor(() => fast.data.length === total * CHANNELS.length, 60_000, 'every message on the fast client');
    const accounted = (channel: string): number => slow.dataOn(channel).reduce((n, m) => n + 1 + (m.skipped ?? 0), 0);
    await slow.waitFor(() => CHANNELS.every((c) => accounted(c) === published.get(c)), 30_000, 'every message accounted for on the slow client');
    assert.equal(slow.closeCode, undefined, 'the slow client is still connected');
    assert.deepEqual(slow.ofType('conflating'), [{ type: 'conflating', channel: 'token.*.price', conflate: 1000 }]);
    assert.deepEqual(slow.gaps, []);
    assert.deepEqual(fast.gaps, []);
    assert.ok(slow.data.length < total * CHANNELS.length / 2, `conflated: ${slow.data.length} messages for ${total * CHANNELS.length}`);
    // Held for it: at most the budget plus one batch (what was written before the budget was seen passed).
    assert.ok(maxQueued <= BUDGET + 30 * CHANNELS.length * 1200, `server-side queue stayed bounded: ${maxQueued} bytes`);
    const metrics = await fetchMetrics(h.httpUrl);
    assert.equal(metricValue(metrics, 'ws_slow_clients_disconnected_total'), 0);
    assert.equal(metricValue(metrics, 'ws_slow_subscriptions_conflated_total'), 1);
  } finally {
    reading = false;
    await h.stop();
  }
});
