// SSE across two gateways over one NATS (docs/sse.md, "Cursor"): a stream
// dropped again and again, each time reconnecting to the other gateway with
// only Last-Event-ID, gets every message exactly once, in order, while
// publishing goes on; the same with &conflate accounts for every message
// (delivered + skipped = published per channel).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NatsServer } from '../helpers/nats-server.js';
import { SseClient } from '../helpers/sse-client.js';
import { expectedTicks, NatsScene, waitUntil } from './nats-test-kit.js';

const CHANNELS = ['token.AAA.price', 'token.BBB.price', 'market.statistics'];

test('SSE over two gateways: drops and reconnects alternating between them with Last-Event-ID lose and repeat nothing; conflated streams account for every message', { timeout: 120_000 }, async () => {
  const server = await NatsServer.start();
  const scene = new NatsScene();
  const streams: SseClient[] = [];
  try {
    const gateways = [await scene.addGateway(server.url), await scene.addGateway(server.url)];
    const exact = new SseClient(`${gateways[0]!.httpUrl}/sse?channels=${CHANNELS.join(',')}`);
    const wild = new SseClient(`${gateways[0]!.httpUrl}/sse?channels=token.*.price,market.statistics`);
    const conflated = new SseClient(`${gateways[0]!.httpUrl}/sse?channels=token.*.price,market.statistics&conflate=100`);
    streams.push(exact, wild, conflated);
    for (const s of streams) {
      await s.connect();
      await s.waitFor(() => s.ofEvent('subscribed').length === 2 || s.ofEvent('subscribed').length === 3, 15_000, 'subscribed');
    }
    const publisher = await scene.startPublisher(server.url, CHANNELS, 4);
    for (let move = 1; move <= 4; move++) {
      const target = gateways[move % 2]!;
      const before = publisher.produced;
      await waitUntil(() => publisher.produced >= before + 40, 20_000, `traffic before move ${move}`);
      for (const s of streams) {
        s.drop();
        await s.connect(s === exact ? `${target.httpUrl}/sse?channels=${CHANNELS.join(',')}` : s === wild ? `${target.httpUrl}/sse?channels=token.*.price,market.statistics` : `${target.httpUrl}/sse?channels=token.*.price,market.statistics&conflate=100`);
        assert.equal(s.status, 200);
      }
    }
    await waitUntil(() => publisher.produced >= 300, 30_000, 'more traffic after the last move');
    await publisher.finish();
    const total = publisher.produced;
    await exact.waitFor(() => exact.data.length === total, 20_000, `all ${total} on the exact stream`);
    await wild.waitFor(() => wild.data.length === total, 20_000, `all ${total} on the wildcard stream`);
    const accounted = (channel: string): number => conflated.dataOn(channel).reduce((n, m) => n + 1 + (m.skipped ?? 0), 0);
    await conflated.waitFor(() => CHANNELS.every((c) => accounted(c) === expectedTicks(publisher, c).length), 20_000, 'every message accounted for on the conflated stream');
    for (const s of [exact, wild, conflated]) assert.deepEqual(s.gaps, [], 'no gap, no duplicate');
    for (const channel of CHANNELS) {
      const expected = expectedTicks(publisher, channel);
      assert.deepEqual(exact.dataOn(channel).map((m) => (m.data as { n: number }).n), expected, `${channel}: exact stream`);
      assert.deepEqual(wild.dataOn(channel).map((m) => (m.data as { n: number }).n), expected, `${channel}: wildcard stream`);
    }
    for (const s of streams) {
      const replaying = s.json<{ recovered: boolean }>('replaying');
      assert.ok(replaying.length >= 8 && replaying.every((r) => r.recovered), 'every resume replayed with recovered: true');
    }
    assert.ok(conflated.data.length < total / 2, `conflated: ${conflated.data.length} of ${total}`);
  } finally {
    for (const s of streams) s.drop();
    await scene.cleanup();
    await server.stop();
  }
});
