// The server API over a real nats-server with two gateways: a publish over
// HTTP on A reaches a WebSocket client on B at the position A answered; a
// retried idempotency key answers the first position and delivers nothing
// more; history and disconnect work from either instance.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NatsServer } from '../helpers/nats-server.js';
import { metricValue } from '../helpers/metrics-reader.js';
import type { GatewayHarness } from '../helpers/gateway-harness.js';
import { NatsScene, waitUntil } from '../nats/nats-test-kit.js';
import { addApiGateway, api, uniqueStream, userUrl } from './api-fixtures.js';

describe('server API over NATS, two gateways', { timeout: 120_000 }, () => {
  let server: NatsServer;
  const scene = new NatsScene();
  let a: GatewayHarness;
  let b: GatewayHarness;

  before(async () => {
    server = await NatsServer.start();
    const stream = uniqueStream('API');
    a = await addApiGateway(scene, server.url, stream);
    b = await addApiGateway(scene, server.url, stream);
  });
  after(async () => {
    await scene.cleanup();
    await server.cleanup();
  });

  it('a publish on A reaches a client on B with the position A answered', async () => {
    const onB = await scene.connect(b.url);
    await onB.subscribe(['api.one.price']);
    const res = await api(a.httpUrl, 'POST', '/api/publish', { channel: 'api.one.price', data: { type: 'price:update', price: 101.5 } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const position = res.body.position as { seq: number; epoch: string };
    assert.ok(position.seq > 0);
    await onB.waitFor(() => onB.dataOn('api.one.price').length === 1, 10_000, 'the message on B');
    const got = onB.dataOn('api.one.price')[0]!;
    assert.equal(got.seq, position.seq);
    assert.equal(got.epoch, position.epoch);
    assert.equal(got.event, 'price:update');
    assert.deepEqual(got.data, { type: 'price:update', price: 101.5 });
  });

  it('a retried idempotency key answers the first position and delivers nothing more (also through the other gateway)', async () => {
    const onB = await scene.connect(b.url);
    await onB.subscribe(['api.dedupe.*']);
    const key = `order-${Date.now()}`;
    const first = await api(a.httpUrl, 'POST', '/api/publish', { channel: 'api.dedupe.x', data: { n: 1 }, idempotencyKey: key });
    // A retry through the other instance, with a changed body: the key alone decides.
    const retryB = await api(b.httpUrl, 'POST', '/api/publish', { channel: 'api.dedupe.x', data: { n: 2 }, idempotencyKey: key });
    const retryA = await api(a.httpUrl, 'POST', '/api/publish', { messages: [{ channel: 'api.dedupe.x', data: { n: 3 }, idempotencyKey: key }] });
    assert.equal(first.status, 200);
    assert.deepEqual(retryB.body.position, first.body.position);
    assert.deepEqual(retryA.body.positions, [first.body.position]);
    // A marker published after: once it is there, anything the retries had delivered would be too.
    const marker = await api(a.httpUrl, 'POST', '/api/publish', { channel: 'api.dedupe.end', data: { end: true } });
    assert.ok(marker.body.position.seq > first.body.position.seq);
    await onB.waitFor(() => onB.dataOn('api.dedupe.end').length === 1, 10_000, 'the marker');
    const delivered = onB.dataOn('api.dedupe.x');
    assert.equal(delivered.length, 1, 'one delivery for one key');
    assert.deepEqual(delivered[0]!.data, { n: 1 });
    assert.equal(delivered[0]!.seq, first.body.position.seq);
  });

  it('a batch answers positions in request order, and clients get the messages in that order', async () => {
    const onB = await scene.connect(b.url);
    await onB.subscribe(['api.batch.>']);
    const messages = Array.from({ length: 50 }, (_, i) => ({ channel: `api.batch.c${i % 3}`, data: { i } }));
    const res = await api(a.httpUrl, 'POST', '/api/publish', { messages });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const positions = res.body.positions as Array<{ seq: number }>;
    assert.equal(positions.length, 50);
    for (let i = 1; i < positions.length; i++) assert.ok(positions[i]!.seq > positions[i - 1]!.seq, `seq increases at ${i}`);
    await onB.waitFor(() => onB.data.length === 50, 10_000, 'the batch on B');
    assert.deepEqual(onB.data.map((m) => (m.data as { i: number }).i), messages.map((m) => m.data.i));
    assert.deepEqual(onB.data.map((m) => m.seq), positions.map((p) => p.seq));
    assert.deepEqual(onB.gaps, []);
  });

  it('history read on B returns what was published on A, in the protocol shape, paged by limit', async () => {
    const ch = 'api.hist.price';
    const start = await api(a.httpUrl, 'POST', '/api/publish', { channel: ch, data: { i: 0 } });
    const since = start.body.position as { seq: number; epoch: string };
    const live = await scene.connect(b.url);
    await live.subscribe([ch]);
    const res = await api(a.httpUrl, 'POST', '/api/publish', { messages: Array.from({ length: 5 }, (_, i) => ({ channel: ch, data: { i: i + 1 } })) });
    assert.equal(res.status, 200);
    await live.waitFor(() => live.dataOn(ch).length === 5, 10_000, 'live copies');

    const page1 = await api(b.httpUrl, 'GET', `/api/history?channel=${ch}&since=${since.seq}&epoch=${since.epoch}&limit=3`);
    assert.equal(page1.status, 200, JSON.stringify(page1.body));
    assert.equal(page1.body.recovered, true);
    assert.equal(page1.body.more, true);
    assert.deepEqual(page1.body.messages, live.dataOn(ch).slice(0, 3), 'exactly the messages a client got, field for field');
    const page2 = await api(b.httpUrl, 'GET', `/api/history?channel=${ch}&since=${page1.body.next.seq}&epoch=${since.epoch}&limit=3`);
    assert.equal(page2.body.more, false);
    assert.deepEqual(page2.body.messages, live.dataOn(ch).slice(3));
    assert.deepEqual(page2.body.next, page2.body.position);
    assert.equal(page2.body.position.seq, live.dataOn(ch)[4]!.seq);

    // Another epoch: not recovered, and the latest message to resync from.
    const stale = await api(b.httpUrl, 'GET', `/api/history?channel=${ch}&since=1&epoch=someOtherEpoch`);
    assert.equal(stale.body.recovered, false);
    assert.deepEqual(stale.body.messages, [live.dataOn(ch)[4]]);
  });

  it("channels lists latest values of the whole stream and this instance's subscriber counts", async () => {
    const ch = 'api.count.price';
    await api(a.httpUrl, 'POST', '/api/publish', { channel: ch, data: { p: 1 } });
    const exact = await scene.connect(b.url);
    await exact.subscribe([ch]);
    const wild = await scene.connect(b.url);
    await wild.subscribe(['api.count.*']);
    await waitUntil(async () => (await api(a.httpUrl, 'GET', `/api/channels?pattern=${ch}`)).body.channels.length === 1, 10_000, 'A to know the channel');
    const onB = await api(b.httpUrl, 'GET', '/api/channels?pattern=api.count.>');
    const onA = await api(a.httpUrl, 'GET', '/api/channels?pattern=api.count.>');
    assert.equal(onB.body.channels[0].channel, ch);
    assert.equal(onB.body.channels[0].subscribers, 2, 'an exact and a wildcard subscription on B');
    assert.equal(onA.body.channels[0].subscribers, 0, 'none on A');
    assert.deepEqual(onA.body.channels[0].latest, onB.body.channels[0].latest, 'the same latest value on both');
    assert.equal(onB.body.broker, 'nats');
  });

  it("disconnect through A closes the user's connections on A and B with 4004, and nobody else's", async () => {
    const aliceOnA = await scene.connect(await userUrl(a.url, 'alice'));
    const aliceOnB = await scene.connect(await userUrl(b.url, 'alice'));
    const bobOnB = await scene.connect(await userUrl(b.url, 'bob'));
    await bobOnB.subscribe(['api.after.kick']);
    const res = await api(a.httpUrl, 'POST', '/api/disconnect', { user: 'alice' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { user: 'alice', closedHere: 1, broadcast: true });
    assert.equal(await aliceOnA.waitClosed(), 4004);
    assert.equal(await aliceOnB.waitClosed(), 4004);
    assert.equal(aliceOnB.closeReason, 'DISCONNECTED_BY_SERVER');
    // Bob is still served: a message after the kick reaches him.
    await api(a.httpUrl, 'POST', '/api/publish', { channel: 'api.after.kick', data: 1 });
    await bobOnB.waitFor(() => bobOnB.dataOn('api.after.kick').length === 1, 10_000, 'bob still served');
    assert.equal(bobOnB.closeCode, undefined);
    const metrics = await (await fetch(`${b.httpUrl}/metrics`)).text();
    assert.equal(metricValue(metrics, 'ws_api_disconnected_connections_total'), 1);
    assert.equal(metricValue(metrics, 'ws_disconnections_total', { code: 'DISCONNECTED_BY_SERVER' }), 1);
  });

  it('with NATS down: publish answers 503 BROKER_UNAVAILABLE, history 503 HISTORY_UNAVAILABLE', async () => {
    await server.stop('SIGKILL');
    await waitUntil(() => !a.gateway.health().checks.nats.healthy, 10_000, 'A to see the outage');
    const history = await api(a.httpUrl, 'GET', '/api/history?channel=api.one.price&since=0');
    assert.equal(history.status, 503, JSON.stringify(history.body));
    assert.equal(history.body.error.code, 'HISTORY_UNAVAILABLE');
    const publish = await api(a.httpUrl, 'POST', '/api/publish', { channel: 'api.down.x', data: 1 });
    assert.equal(publish.status, 503, JSON.stringify(publish.body));
    assert.equal(publish.body.error.code, 'BROKER_UNAVAILABLE');
    const metrics = await (await fetch(`${a.httpUrl}/metrics`)).text();
    assert.equal(metricValue(metrics, 'ws_api_requests_total', { endpoint: 'publish', code: 'BROKER_UNAVAILABLE' }), 1);
  });
});
