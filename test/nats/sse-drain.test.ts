// Drain over SSE (docs/sse.md, protocol.md 4005 DRAINING): a gateway process
// sent SIGTERM ends each SSE stream with a `close` event naming 4005
// DRAINING; the stream, reopened on the other gateway with only its
// Last-Event-ID, resumes every channel with recovered:true while publishing
// goes on: every message once, in order, 0 gaps. The draining gateway exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NatsBroker } from '../../src/broker/broker-nats.js';
import { NatsServer } from '../helpers/nats-server.js';
import { SseClient } from '../helpers/sse-client.js';
import { startGatewayProcess, type GatewayProcess } from './gateway-process.js';
import { expectedTicks, natsBroker, RetryingPublisher, waitUntil } from './nats-test-kit.js';

const CHANNELS = ['token.AAA.price', 'token.BBB.price', 'market.statistics'];

test('SIGTERM drains SSE streams with a close event 4005 DRAINING; Last-Event-ID on the other gateway resumes with 0 gaps', { timeout: 120_000 }, async () => {
  const server = await NatsServer.start();
  const gateways: GatewayProcess[] = [];
  const streams: SseClient[] = [];
  let publisherBroker: NatsBroker | undefined;
  let publisher: RetryingPublisher | undefined;
  try {
    gateways.push(await startGatewayProcess(['--nats', server.url, '--drain-seconds', '1', '--shutdown-timeout-ms', '5000']));
    gateways.push(await startGatewayProcess(['--nats', server.url]));
    const [draining, other] = gateways as [GatewayProcess, GatewayProcess];
    const query = `/sse?channels=${CHANNELS.join(',')}`;
    const exact = new SseClient(`${draining.httpUrl}${query}`);
    const wild = new SseClient(`${draining.httpUrl}/sse?channels=token.*.price,market.statistics`);
    streams.push(exact, wild);
    for (const s of streams) {
      await s.connect();
      assert.equal(s.status, 200);
      await s.waitFor(() => s.ofEvent('subscribed').length >= 2, 15_000, 'subscribed');
    }

    publisherBroker = natsBroker(server.url, { consume: false });
    await publisherBroker.start();
    publisher = new RetryingPublisher(publisherBroker, CHANNELS, 4);
    publisher.start();
    await exact.waitFor(() => exact.data.length >= 60, 20_000, 'traffic before the drain');

    const exited = draining.kill('SIGTERM');
    for (const s of streams) {
      await s.waitFor(() => s.ended, 20_000, 'the draining gateway to end the stream');
      const closes = s.json<{ code: number; reason: string }>('close');
      assert.deepEqual(closes, [{ code: 4005, reason: 'DRAINING' }], 'the last event names 4005 DRAINING');
      assert.equal(s.events.at(-1)!.event, 'close', 'close is the last event');
    }
    // As a client following docs/sse.md: reconnect now, to another instance, with the last id.
    await exact.connect(`${other.httpUrl}${query}`);
    await wild.connect(`${other.httpUrl}/sse?channels=token.*.price,market.statistics`);
    for (const s of streams) {
      assert.equal(s.status, 200);
      await s.waitFor(() => s.ofEvent('subscribed').length >= (s === exact ? 6 : 4), 15_000, 'resumed on the other gateway');
      const replaying = s.json<{ recovered: boolean }>('replaying');
      assert.ok(replaying.length === (s === exact ? 3 : 2) && replaying.every((r) => r.recovered), `every entry resumed with recovered:true: ${JSON.stringify(replaying)}`);
    }
    assert.equal(await exited, 0, 'the drained gateway exits 0');

    const before = publisher.produced;
    await waitUntil(() => publisher!.produced >= before + 100, 20_000, 'traffic after the move');
    await publisher.finish();
    const total = publisher.produced;
    for (const s of streams) await s.waitFor(() => s.data.length === total, 20_000, `all ${total} messages`);
    for (const s of streams) {
      assert.deepEqual(s.gaps, [], 'no gap, no duplicate');
      for (const channel of CHANNELS) assert.deepEqual(s.dataOn(channel).map((m) => (m.data as { n: number }).n), expectedTicks(publisher, channel), `${channel}: every message once, in order`);
    }
  } finally {
    publisher?.stop();
    for (const s of streams) s.drop();
    await publisherBroker?.close().catch(() => undefined);
    for (const g of gateways) await g.kill('SIGKILL');
    await server.stop();
  }
});
