// Issue 10, finding 5, over NATS: a flood of new channel names keeps the
// gateway's channel view at the bound (the least recently published forgotten
// first, counted), a bystander on a live channel keeps receiving, and a
// forgotten channel still resumes exactly (the stream keeps its history; the
// view only forgets the latest value).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NatsServer } from '../helpers/nats-server.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { natsBroker, uniqueStream, waitUntil, NatsScene } from './nats-test-kit.js';

const BOUND = 500;
const FLOOD = 3000;

test('NATS: 3,000 new channel names keep the channels tracked at the bound; a bystander keeps receiving; a forgotten channel resumes exactly', { timeout: 120_000 }, async () => {
  const server = await NatsServer.start();
  const scene = new NatsScene();
  try {
    const stream = uniqueStream();
    const gw = await scene.addGateway(server.url, { name: stream, maxChannels: BOUND });
    const pub = natsBroker(server.url, { name: stream, consume: false });
    scene.brokers.push(pub);
    await pub.start();
    const bystander = await scene.connect(gw.url);
    await bystander.subscribe(['token.BTC.price']);
    const early = await scene.connect(gw.url);
    await early.subscribe(['token.F0.price']);

    let ticks = 0;
    const pending: Array<Promise<unknown>> = [];
    for (let i = 0; i < FLOOD; i++) {
      pending.push(pub.publish(`token.F${i}.price`, { type: 'flood', i }));
      if (i % 50 === 0) pending.push(pub.publish('token.BTC.price', { type: 'tick', n: ++ticks }));
      if (pending.length >= 200) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    await bystander.waitFor(() => bystander.data.length === ticks, 20_000, `all ${ticks} bystander ticks`);
    assert.deepEqual(bystander.data.map((m) => (m.data as { n: number }).n), Array.from({ length: ticks }, (_, i) => i + 1));
    assert.deepEqual(bystander.gaps, [], 'the bystander saw no gap');
    assert.equal(bystander.closeCode, undefined);

    await waitUntil(() => gw.broker.stats().channels === BOUND && gw.broker.stats().channelsEvicted === FLOOD + 1 - BOUND, 20_000, 'the view at its bound');
    // Both are sampled every 2 s: wait for the counter's final value, then read the gauge.
    await waitUntil(async () => metricValue(await fetchMetrics(gw.httpUrl), 'ws_channels_evicted_total') === FLOOD + 1 - BOUND, 15_000, 'ws_channels_evicted_total');
    assert.equal(metricValue(await fetchMetrics(gw.httpUrl), 'ws_channels_tracked'), BOUND);

    // F0 was forgotten by the view, not by the stream: a resume from its message recovers (nothing after it).
    const f0 = early.data[0]!;
    const again = await scene.connect(gw.url);
    const [answer] = await again.subscribe([{ channel: 'token.F0.price', since: { seq: f0.seq, epoch: f0.epoch } }]);
    assert.equal(answer?.recovered, true);
    assert.equal(again.dataOn('token.F0.price').length, 0, 'nothing after it to replay');
    // A new message on the forgotten channel reaches its subscriber; its prev is 0 ("unknown"), never a wrong seq.
    await pub.publish('token.F0.price', { type: 'flood', again: true });
    await again.waitFor(() => again.dataOn('token.F0.price').length === 1, 10_000, 'the new F0 message');
    assert.equal(again.dataOn('token.F0.price')[0]!.prev, 0);
    // A wildcard resume from before the flood reads the stream and gets everything after it.
    const wild = await scene.connect(gw.url);
    const lastBtc = bystander.data[bystander.data.length - 1]!;
    const [wildAnswer] = await wild.subscribe([{ channel: 'token.*.price', since: { seq: lastBtc.seq - 10, epoch: lastBtc.epoch } }]);
    assert.equal(wildAnswer?.recovered, true);
    assert.ok(wild.data.length >= 10, `replayed ${wild.data.length}`);
  } finally {
    await scene.cleanup();
    await server.cleanup();
  }
});
