// Issue 9, broken promise 4: when history cannot be read (NATS down), the
// HISTORY_UNAVAILABLE answer still gives the newest position the instance
// knows on the channel, never `seq: 0` ("no message yet") for a channel that
// has messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NatsServer } from '../helpers/nats-server.js';
import { natsBroker, NatsScene, waitUntil } from './nats-test-kit.js';

const CH = 'token.BTC.price';

test('a resume while NATS is down answers HISTORY_UNAVAILABLE with the newest known position, not seq 0', { timeout: 60_000 }, async () => {
  const server = await NatsServer.start();
  const scene = new NatsScene();
  const publisher = natsBroker(server.url, { consume: false });
  try {
    const g = await scene.addGateway(server.url, { reconnectTimeWaitMs: 200 });
    await publisher.start();
    const live = await scene.connect(g.url);
    await live.subscribe([CH]);
    let last = { seq: 0, epoch: '' };
    for (let i = 0; i < 50; i++) last = await publisher.publish(CH, { type: 'price:update', i });
    await waitUntil(() => live.dataOn(CH).length === 50, 10_000, 'live messages');

    await server.stop('SIGKILL');
    await waitUntil(() => !g.gateway.health().checks.nats.healthy, 5000, 'the gateway to see the outage');
    const c = await scene.connect(g.url);
    c.send({ type: 'subscribe', id: 1, channels: [{ channel: CH, since: { seq: 10, epoch: last.epoch } }] });
    await c.waitFor(() => c.ofType('subscribed').length === 1, 20_000, 'subscribed');
    const error = c.ofType('error').find((e) => e.id === 1);
    assert.equal(error?.code, 'HISTORY_UNAVAILABLE');
    const answer = c.ofType('subscribed')[0]!;
    assert.equal(answer.recovered, false);
    assert.equal(answer.position.seq, last.seq, 'the newest position the live consumer saw');
    assert.equal(answer.position.epoch, last.epoch);
  } finally {
    await publisher.close().catch(() => undefined);
    await scene.cleanup();
    await server.cleanup();
  }
});
