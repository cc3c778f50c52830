// Issue 9, broken promise 7 and "NATS recovery under one supervisor": the
// live consumer is recovered by one supervisor, whatever stops it. A stream
// re-created while the new consumer cannot be created at first still ends
// with the gateway consuming the new stream; a consumer stopped behind the
// gateway's back turns /health unhealthy within the lag window, is restarted,
// and clients get every message, once, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { NatsFaults } from '../../src/broker/nats-faults.js';
import { CloseCode } from '@odin-gateway/client/codes';
import { NatsServer } from '../helpers/nats-server.js';
import { assertSeamless, expectedTicks, natsBroker, uniqueStream, waitUntil, NatsScene } from './nats-test-kit.js';

interface Health {
  status: number;
  body: { status: string; errors: string[]; checks: { nats: { healthy: boolean; consumer_lag?: number; behind?: boolean } } };
}

async function health(httpUrl: string): Promise<Health> {
  const res = await fetch(`${httpUrl}/health`);
  return { status: res.status, body: (await res.json()) as Health['body'] };
}

async function lagGauge(httpUrl: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const match = /^ws_nats_consumer_lag_messages (\S+)$/m.exec(text);
  return match ? Number(match[1]) : NaN;
}

test('a stream re-created while its first consumer cannot be created: the gateway retries until it consumes the new stream', { timeout: 90_000 }, async () => {
  const server = await NatsServer.start();
  const scene = new NatsScene();
  try {
    const stream = uniqueStream();
    const faults = new NatsFaults();
    const gw = await scene.addGateway(server.url, { name: stream, reconnectTimeWaitMs: 200, faults, lagCheckMs: 250, lagWindowMs: 2000 });
    const before = gw.broker.epoch();
    const client = await scene.connect(gw.url);
    await client.subscribe(['token.AAA.price']);
    const publisher = await scene.startPublisher(server.url, ['token.AAA.price'], 20, { name: stream, reconnectTimeWaitMs: 200, publishTimeoutMs: 1000 });
    await client.waitFor(() => client.data.length >= 5, 10_000, 'traffic on the first stream');

    // The slow-JetStream case: the new stream's first consumer fails to be created.
    faults.failLiveStarts = 1;
    const nc = await connect({ servers: server.url });
    try {
      await (await jetstreamManager(nc)).streams.delete(stream);
    } finally {
      await nc.close();
    }
    await server.stop('SIGKILL');
    await server.restart();

    // The gateway adopts the new stream: a new epoch, its clients closed with 1012 to resync.
    assert.equal(await client.waitClosed(30_000), CloseCode.HISTORY_RESET, 'clients are told history was reset');
    assert.equal(faults.failLiveStarts, 0, 'the injected failure happened');
    assert.notEqual(gw.broker.epoch(), before);
    const again = await scene.connect(gw.url);
    await again.subscribe(['token.AAA.price']);
    const seen = again.data.length;
    await again.waitFor(() => again.data.length >= seen + 5, 20_000, 'live messages from the new stream');
    assert.ok(again.data.every((m) => m.epoch === gw.broker.epoch()));
    await waitUntil(async () => (await health(gw.httpUrl)).status === 200, 10_000, '/health healthy');
    publisher.stop();
  } finally {
    await scene.cleanup();
    await server.cleanup();
  }
});

test('watchdog: a live consumer stopped behind the gateway\'s back turns /health unhealthy within the window, then it is restarted and clients get everything', { timeout: 90_000 }, async () => {
  const server = await NatsServer.start();
  const scene = new NatsScene();
  const channels = ['token.AAA.price', 'token.BBB.price'];
  try {
    const stream = uniqueStream();
    const faults = new NatsFaults();
    const gw = await scene.addGateway(server.url, { name: stream, faults, lagCheckMs: 250, lagWindowMs: 1500 });
    const client = await scene.connect(gw.url);
    await client.subscribe(channels);
    const publisher = await scene.startPublisher(server.url, channels, 10, { name: stream });
    await client.waitFor(() => client.data.length >= 20, 10_000, 'traffic');
    assert.equal((await health(gw.httpUrl)).status, 200);

    // Every consumer stops handing over messages (heartbeats go on), also
    // the ones the supervisor starts in its place, until the fault is cleared.
    faults.wedgeConsumers = true;
    await waitUntil(async () => (await health(gw.httpUrl)).status === 503, 15_000, '/health to report the stuck consumer');
    const stuck = await health(gw.httpUrl);
    assert.equal(stuck.body.checks.nats.healthy, false);
    assert.equal(stuck.body.checks.nats.behind, true);
    assert.ok((stuck.body.checks.nats.consumer_lag ?? 0) > 0, `lag reported: ${JSON.stringify(stuck.body.checks.nats)}`);
    assert.ok(stuck.body.errors.some((e) => /behind/.test(e)), stuck.body.errors.join('; '));
    await waitUntil(async () => (await lagGauge(gw.httpUrl)) > 0, 10_000, 'ws_nats_consumer_lag_messages to show the lag');
    assert.equal((await health(gw.httpUrl)).status, 503, 'still unhealthy while every consumer is wedged');
    const gotWhileStuck = client.data.length;

    // The fault clears; the supervisor's next restart (at most one lag window later) catches up.
    faults.wedgeConsumers = false;

    await waitUntil(async () => (await health(gw.httpUrl)).status === 200, 20_000, '/health healthy after the supervisor restarted the consumer');
    await publisher.finish();
    const total = publisher.produced;
    await client.waitFor(() => client.data.length === total, 20_000, `all ${total} messages`);
    assert.ok(total > gotWhileStuck, 'messages published while stuck arrived after the restart');
    for (const channel of channels) assertSeamless(channel, expectedTicks(publisher, channel), client);
    assert.equal(client.closeCode, undefined, 'the client stayed connected');
    await waitUntil(async () => (await lagGauge(gw.httpUrl)) === 0, 10_000, 'the lag gauge back at 0');
  } finally {
    await scene.cleanup();
    await server.cleanup();
  }
});

test('a live consumer that falls behind by more than the history: subscribers are made to resume, never shown a prev link across the loss', { timeout: 90_000 }, async () => {
  const server = await NatsServer.start();
  const scene = new NatsScene();
  try {
    const stream = uniqueStream();
    const faults = new NatsFaults();
    const gw = await scene.addGateway(server.url, { name: stream, historySize: 5, faults, lagCheckMs: 250, lagWindowMs: 1000 });
    const pub = natsBroker(server.url, { name: stream, historySize: 5, consume: false });
    scene.brokers.push(pub);
    await pub.start();
    const client = await scene.connect(gw.url);
    await client.subscribe(['token.AAA.price']);
    for (let n = 1; n <= 3; n++) await pub.publish('token.AAA.price', { type: 'tick', n });
    await client.waitFor(() => client.data.length === 3, 10_000, 'the first ticks');

    faults.wedgeConsumers = true;
    for (let n = 4; n <= 20; n++) await pub.publish('token.AAA.price', { type: 'tick', n }); // 4..15 are removed by the per-subject limit
    await waitUntil(async () => (await health(gw.httpUrl)).status === 503, 15_000, 'the stuck consumer reported');
    faults.wedgeConsumers = false;
    // The replacement consumer finds 4..15 gone: the client is closed to resume before anything after the loss reaches it.
    assert.equal(await client.waitClosed(20_000), CloseCode.HISTORY_RESET);
    assert.deepEqual(client.data.map((m) => (m.data as { n: number }).n), [1, 2, 3], 'nothing after the loss reached it as if continuous');
    // Its resume from the last position it had is told the truth.
    const again = await scene.connect(gw.url);
    const [answer] = await again.subscribe([{ channel: 'token.AAA.price', since: { seq: client.data[2]!.seq, epoch: gw.broker.epoch() } }]);
    assert.equal(answer?.recovered, false);
    assert.deepEqual(again.data.map((m) => (m.data as { n: number }).n), [20], 'the latest value to resync');
    await waitUntil(async () => (await health(gw.httpUrl)).status === 200, 15_000, '/health healthy after the catch-up');
    await pub.publish('token.AAA.price', { type: 'tick', n: 21 });
    await again.waitFor(() => again.data.length === 2, 10_000, 'live again');
    assert.equal(again.data[1]!.prev, again.data[0]!.seq, 'prev links exact again');
  } finally {
    await scene.cleanup();
    await server.cleanup();
  }
});
