// Issue 10, finding 5, on the memory broker behind a real gateway: a flood
// of new channel names keeps the channels tracked at the bound (the least
// recently published forgotten first, counted), a bystander on a live channel
// keeps receiving, and a forgotten channel never makes a resume say
// recovered:true wrongly.
import { test } from 'node:test';
import { readWholeHistory } from '../../src/broker/history-pager.js';
import assert from 'node:assert/strict';
import { MemoryBroker } from '../../src/broker/broker-memory.js';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { TestClient } from '../helpers/test-client.js';

const BOUND = 1000;
const FLOOD = 3500;

async function waitMetric(httpUrl: string, name: string, wanted: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  let seen = NaN;
  while (Date.now() < deadline) {
    seen = metricValue(await fetchMetrics(httpUrl), name);
    if (seen === wanted) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${name} stayed at ${seen}, wanted ${wanted}`);
}

test('memory broker: 3,500 new channel names keep the channels tracked at the bound; a bystander keeps receiving; resumes stay honest', { timeout: 60_000 }, async () => {
  const broker = new MemoryBroker({ historySize: 100, historyMaxAgeMs: 600_000, maxChannels: BOUND });
  const h = await startTestGateway({ maxChannels: BOUND }, broker);
  try {
    const bystander = await TestClient.connect(h.url);
    await bystander.subscribe(['token.BTC.price']);
    const early = await TestClient.connect(h.url);
    await early.subscribe(['token.F0.price']);
    let ticks = 0;
    for (let i = 0; i < FLOOD; i++) {
      await broker.publish(`token.F${i}.price`, { type: 'flood', i });
      if (i % 50 === 0) await broker.publish('token.BTC.price', { type: 'tick', n: ++ticks });
    }
    await bystander.waitFor(() => bystander.data.length === ticks, 10_000, `all ${ticks} bystander ticks`);
    assert.deepEqual(bystander.data.map((m) => (m.data as { n: number }).n), Array.from({ length: ticks }, (_, i) => i + 1));
    assert.deepEqual(bystander.gaps, [], 'the bystander saw no gap');
    assert.equal(bystander.closeCode, undefined);

    const created = FLOOD + 1;
    assert.deepEqual(broker.stats().channels, BOUND, 'channels tracked stay at the bound');
    assert.equal(broker.stats().channelsEvicted, created - BOUND);
    // Both are sampled every 2 s: wait for the counter's final value, then read the gauge.
    await waitMetric(h.httpUrl, 'ws_channels_evicted_total', created - BOUND);
    assert.equal(metricValue(await fetchMetrics(h.httpUrl), 'ws_channels_tracked'), BOUND);

    // F0 was forgotten (the least recently published): a resume from before it is not recovered.
    const epoch = broker.epoch();
    const f0 = early.data[0]!;
    assert.equal((await readWholeHistory(broker, 'token.F0.price', { seq: f0.seq, epoch })).recovered, false, 'a forgotten channel');
    assert.equal((await readWholeHistory(broker, 'token.*.price', { seq: f0.seq, epoch })).recovered, false, 'a pattern that matches forgotten channels');
    // A channel tracked all along resumes exactly.
    const btc = bystander.data[bystander.data.length - 2]!;
    const resumed = await readWholeHistory(broker, 'token.BTC.price', { seq: btc.seq, epoch });
    assert.equal(resumed.recovered, true);
    assert.deepEqual(resumed.messages.map((m) => m.seq), [bystander.data[bystander.data.length - 1]!.seq]);
    // A forgotten channel published again counts as having lost what it had.
    await broker.publish('token.F0.price', { type: 'flood', again: true });
    assert.equal((await readWholeHistory(broker, 'token.F0.price', { seq: f0.seq, epoch })).recovered, false, 'forgotten, then published again');
    // The position after a not-recovered answer is past every forgotten seq, so resuming from it recovers.
    const miss = await readWholeHistory(broker, 'token.*.price', { seq: f0.seq, epoch });
    assert.equal((await readWholeHistory(broker, 'token.*.price', miss.position)).recovered, true);
  } finally {
    await h.stop();
  }
});

test('memory broker: a resume from after every forgotten seq recovers; from before it does not, even with nothing lost on that channel', async () => {
  const b = new MemoryBroker({ historySize: 10, historyMaxAgeMs: 600_000, maxChannels: 2 });
  await b.publish('a', { i: 1 }); // 1
  await b.publish('b', { i: 2 }); // 2
  await b.publish('a', { i: 3 }); // 3: b is now the least recently published
  await b.publish('c', { i: 4 }); // 4: b (latest 2) forgotten
  const epoch = b.epoch();
  assert.deepEqual(b.stats(), { lagMessages: 0, behind: false, channels: 2, channelsEvicted: 1 });
  assert.equal((await readWholeHistory(b, 'b', { seq: 1, epoch })).recovered, false, 'b is forgotten: its history after 1 is unknown');
  assert.equal((await readWholeHistory(b, '*', { seq: 1, epoch })).recovered, false);
  const fromTwo = await readWholeHistory(b, '*', { seq: 2, epoch });
  assert.equal(fromTwo.recovered, true, 'nothing forgotten after 2');
  assert.deepEqual(fromTwo.messages.map((m) => m.seq), [3, 4]);
  assert.equal((await readWholeHistory(b, 'a', { seq: 1, epoch })).recovered, true, 'a tracked channel from before any eviction');
  assert.deepEqual((await b.latest('b')).messages, [], 'its latest value is gone too');
});
