// nats-server dies while the publisher keeps publishing into its buffer;
// it comes back on the same store. Gateways keep their clients, report the
// outage (/health 503, ws_nats_connected 0), then fill in what they missed:
// every client ends with the complete, ordered sequence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NatsServer } from '../helpers/nats-server.js';
import { assertSeamless, expectedTicks, healthOf, natsConnectedGauge, sleep, waitUntil, NatsScene } from './nats-test-kit.js';

const CHANNELS = ['token.AAA.price', 'token.BBB.price'];

test('nats-server killed and restarted on the same store: clients get every message once, in order; health reports the outage', { timeout: 90_000 }, async () => {
  const server = await NatsServer.start();
  const scene = new NatsScene();
  try {
    const a = await scene.addGateway(server.url, { reconnectTimeWaitMs: 200 });
    const b = await scene.addGateway(server.url, { reconnectTimeWaitMs: 200 });
    const { gateways } = scene;
    const exactOnA = await scene.connect(a.url);
    const wildOnB = await scene.connect(b.url);
    await exactOnA.subscribe(CHANNELS);
    await wildOnB.subscribe(['token.*.price']);

    const publisher = await scene.startPublisher(server.url, CHANNELS, 10, { reconnectTimeWaitMs: 200, publishTimeoutMs: 1000 });
    await waitUntil(() => exactOnA.data.length >= 40, 10_000, 'traffic before the outage');

    await server.stop('SIGKILL');
    const producedAtKill = publisher.produced;
    for (const g of gateways) {
      await waitUntil(async () => (await healthOf(g.httpUrl)).status === 503, 5000, '/health to report the outage');
      assert.equal((await healthOf(g.httpUrl)).natsHealthy, false);
      assert.equal(await natsConnectedGauge(g.httpUrl), 0);
    }
    await sleep(1500); // publishing goes on into the publisher's queue
    assert.ok(publisher.produced - producedAtKill >= 50, 'messages were produced during the outage');
    assert.equal(exactOnA.closeCode, undefined, 'clients stay connected through the outage');

    await server.restart();
    for (const g of gateways) {
      await waitUntil(async () => (await healthOf(g.httpUrl)).natsHealthy, 10_000, 'NATS check healthy again');
      assert.equal(await natsConnectedGauge(g.httpUrl), 1);
    }
    await waitUntil(() => publisher.produced >= producedAtKill + 250, 20_000, 'traffic after the restart');
    await publisher.finish();
    assert.ok(publisher.retries > 0, 'the publisher had to retry during the outage');
    const total = publisher.produced;
    await waitUntil(() => exactOnA.data.length === total && wildOnB.data.length === total, 30_000, `all ${total} messages on both clients`);
    await sleep(200);
    for (const channel of CHANNELS) {
      const expected = expectedTicks(publisher, channel);
      assertSeamless(channel, expected, exactOnA);
      assertSeamless(channel, expected, wildOnB);
    }
    assert.equal(exactOnA.closeCode, undefined);
    assert.equal(wildOnB.closeCode, undefined);
  } finally {
    await scene.cleanup();
    await server.cleanup();
  }
});
