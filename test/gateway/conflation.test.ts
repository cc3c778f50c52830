// Conflation (docs/protocol.md, "Conflation"): a conflated subscription gets
// at most the newest message per channel per interval, at its real position
// with its real `prev`, and `skipped` says how many it stands for, so that
// every published message is accounted for: delivered + skipped = published,
// per channel. Event channels refuse it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MemoryBroker } from '../../src/broker/broker-memory.js';
import type { BrokerMessage } from '../../src/broker/broker.js';
import type { DataMessage } from '@odin-gateway/client/protocol';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { TestClient } from '../helpers/test-client.js';
import { hs256, SECRET_A } from '../identity/identity-fixtures.js';

const CHANNELS = ['token.AAA.price', 'token.BBB.price'];

/** Every published message by seq, and how many per channel, from the broker's own live feed. */
function recordPublished(broker: MemoryBroker): { bySeq: Map<number, BrokerMessage>; count(channel: string, afterSeq?: number): number } {
  const bySeq = new Map<number, BrokerMessage>();
  broker.onMessage((m) => bySeq.set(m.seq, m));
  return {
    bySeq,
    count: (channel, afterSeq = 0) => [...bySeq.values()].filter((m) => m.channel === channel && m.seq > afterSeq).length,
  };
}

/** Bursts of `perBurst` messages per channel published in one turn, a little apart. */
async function publishBursts(broker: MemoryBroker, bursts: number, perBurst: number): Promise<void> {
  for (let b = 0; b < bursts; b++) {
    for (let i = 0; i < perBurst; i++) for (const channel of CHANNELS) broker.publishNow(channel, { type: 'price:update', b, i });
    await new Promise((r) => setTimeout(r, 15));
  }
}

/** delivered + skipped over the messages a client got on `channel`. */
function accounted(messages: readonly DataMessage[], channel: string): number {
  return messages.filter((m) => m.channel === channel).reduce((n, m) => n + 1 + (m.skipped ?? 0), 0);
}

function assertRealPositions(messages: readonly DataMessage[], bySeq: Map<number, BrokerMessage>): void {
  for (const m of messages) {
    const real = bySeq.get(m.seq);
    assert.ok(real, `seq ${m.seq} was published`);
    assert.equal(m.channel, real.channel);
    assert.equal(m.prev, real.prev, `seq ${m.seq} keeps its real prev`);
    assert.deepEqual(m.data, JSON.parse(real.payload));
  }
}

test('conflated subscriptions (exact and wildcard, two buckets): delivered + skipped = published per channel, real positions, fewer messages', { timeout: 60_000 }, async () => {
  const h = await startTestGateway();
  const broker = h.broker as MemoryBroker;
  const published = recordPublished(broker);
  try {
    const exact = await TestClient.connect(h.url);
    const wild = await TestClient.connect(h.url);
    const plain = await TestClient.connect(h.url);
    const [a, b] = await exact.subscribe(CHANNELS.map((channel) => ({ channel, conflate: 100 })));
    assert.equal(a!.conflate, 100);
    assert.equal(b!.conflate, 100);
    const [w] = await wild.subscribe([{ channel: 'token.*.price', conflate: 300 }]);
    assert.equal(w!.conflate, 500, '300 ms is rounded up to the 500 ms bucket');
    await plain.subscribe(CHANNELS);

    await publishBursts(broker, 30, 20);
    const total = published.count(CHANNELS[0]!);
    assert.equal(total, 600);
    for (const c of [exact, wild]) {
      await c.waitFor(() => CHANNELS.every((ch) => accounted(c.data, ch) === total), 20_000, `every message accounted for on ${CHANNELS.join(', ')}`);
    }
    await plain.waitFor(() => plain.data.length === 2 * total, 10_000, 'the plain subscriber gets everything');
    for (const c of [exact, wild]) {
      assert.deepEqual(c.gaps, [], 'every prev links to the last message seen or declares its skip');
      assertRealPositions(c.data, published.bySeq);
      for (const ch of CHANNELS) assert.ok(c.dataOn(ch).length < total / 10, `conflated: ${c.dataOn(ch).length} of ${total} sent`);
      // The newest value always arrives.
      for (const ch of CHANNELS) assert.equal(c.dataOn(ch).at(-1)!.seq, Math.max(...[...published.bySeq.values()].filter((m) => m.channel === ch).map((m) => m.seq)));
    }
    assert.ok(plain.data.every((m) => m.skipped === undefined), 'non-conflated messages carry no skipped');
    const metrics = await fetchMetrics(h.httpUrl);
    assert.equal(metricValue(metrics, 'ws_conflated_messages_sent_total') + metricValue(metrics, 'ws_conflated_messages_skipped_total'), 4 * total);
  } finally {
    await h.stop();
  }
});

test('a conflated subscriber that joins mid-stream accounts exactly from its seam; a conflated resume sends the newest per channel with its skipped count', { timeout: 60_000 }, async () => {
  const h = await startTestGateway();
  const broker = h.broker as MemoryBroker;
  const published = recordPublished(broker);
  try {
    const first = await TestClient.connect(h.url);
    await first.subscribe([{ channel: 'token.*.price', conflate: 100 }]);
    const publishing = publishBursts(broker, 40, 10);
    await first.waitFor(() => first.data.length >= 4, 20_000, 'conflated traffic');
    // Joins while the first is mid-interval.
    const late = await TestClient.connect(h.url);
    const [answer] = await late.subscribe([{ channel: 'token.*.price', conflate: 100 }]);
    const seam = answer!.position.seq;
    await publishing;
    for (const ch of CHANNELS) {
      const total = published.count(ch);
      await first.waitFor(() => accounted(first.data, ch) === total, 20_000, `first: ${ch} accounted`);
      await late.waitFor(() => accounted(late.data, ch) === published.count(ch, seam), 20_000, `late: ${ch} accounted from its seam`);
    }
    assert.deepEqual(late.gaps, []);

    // Leave, miss some, resume conflated: one message per channel standing for all missed.
    const last = first.data.at(-1)!;
    first.close();
    await first.waitClosed();
    for (let i = 0; i < 25; i++) for (const ch of CHANNELS) broker.publishNow(ch, { type: 'price:update', missed: i });
    const back = await TestClient.connect(h.url);
    const [resumed] = await back.subscribe([{ channel: 'token.*.price', since: { seq: last.seq, epoch: last.epoch }, conflate: 100 }]);
    assert.equal(resumed!.recovered, true);
    assert.equal(resumed!.replayed, 2, 'the newest value of each channel, not the backlog');
    const replaying = back.ofType('replaying');
    assert.equal(replaying[0]?.recovered, true);
    for (const ch of CHANNELS) assert.equal(accounted(back.data, ch), published.count(ch, last.seq), `${ch}: the resume accounts for every missed message`);
    assertRealPositions(back.data, published.bySeq);
  } finally {
    await h.stop();
  }
});

test('conflate is refused on event channels (NOT_CONFLATABLE) and must be 100..60000 ms (INVALID_MESSAGE); the connection stays usable', async () => {
  const h = await startTestGateway({ jwtSecret: SECRET_A });
  try {
    const c = await TestClient.connect(`${h.url}?token=${await hs256(SECRET_A, { sub: 'alice' })}`);
    // Alice may read these; conflating them is what is refused.
    await c.subscribe([{ channel: 'trades.user.alice', conflate: 500 }, { channel: '*.user.alice', conflate: 500 }, { channel: 'trades.*.alice', conflate: 1000 }], 'events');
    const refusals = c.ofType('error').filter((e) => e.id === 'events');
    assert.deepEqual(refusals.map((e) => [e.code, e.channel]), [
      ['NOT_CONFLATABLE', 'trades.user.alice'],
      ['NOT_CONFLATABLE', '*.user.alice'],
      ['NOT_CONFLATABLE', 'trades.*.alice'],
    ]);
    for (const bad of [99, 60_001, 1.5, '500']) {
      c.send({ type: 'subscribe', id: `bad-${bad}`, channels: [{ channel: 'token.BTC.price', conflate: bad }] });
    }
    await c.waitFor(() => c.ofType('error').filter((e) => String(e.id).startsWith('bad-')).length === 4, 5000, 'four refusals');
    assert.ok(c.ofType('error').filter((e) => String(e.id).startsWith('bad-')).every((e) => e.code === 'INVALID_MESSAGE'));
    const [ok] = await c.subscribe([{ channel: 'market.statistics', conflate: 60_000 }]);
    assert.equal(ok!.conflate, 60_000);
    const metrics = await fetchMetrics(h.httpUrl);
    assert.equal(metricValue(metrics, 'ws_client_errors_total', { code: 'NOT_CONFLATABLE' }), 3);
  } finally {
    await h.stop();
  }
});
