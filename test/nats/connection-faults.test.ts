// Issue 20, findings 3 and 4, over a real nats-server:
// - a client that closes while a multi-entry subscribe is in flight (the SDK
//   resumes every channel in one) leaves no subscription behind and gets
//   nothing written after its close;
// - a server fault (HISTORY_UNAVAILABLE while NATS is down) never spends the
//   client's abuse budget: a 100-channel resume stays open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HistoryCursor, HistoryPage, HistoryPageOptions, Position } from '../../src/broker/broker.js';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { NatsServer } from '../helpers/nats-server.js';
import { TestClient } from '../helpers/test-client.js';
import { natsBroker, waitUntil } from './nats-test-kit.js';

test('a client closing during an in-flight 50-entry resume: no subscription left (gauge back to 0), nothing written after the close', { timeout: 60_000 }, async () => {
  const server = await NatsServer.start();
  const broker = natsBroker(server.url);
  const publisher = natsBroker(server.url, { consume: false });
  const h = await startTestGateway({ rateLimitBurst: 1000 }, broker);
  try {
    await publisher.start();
    const channels = Array.from({ length: 50 }, (_, i) => `token.C${i}.price`);
    let epoch = '';
    for (const channel of channels) epoch = (await publisher.publish(channel, { type: 'price:update', channel })).epoch;

    // The third history read waits at a gate the test opens once the gateway has seen the close:
    // the subscribe is then certainly in flight when the client goes.
    const realHistory = broker.historyPage.bind(broker);
    let reads = 0;
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    broker.historyPage = async (pattern: string, from: Position | HistoryCursor, options: HistoryPageOptions): Promise<HistoryPage> => {
      if (++reads === 3) await gate;
      return realHistory(pattern, from, options);
    };

    const c = await TestClient.connect(h.url);
    const conn = [...h.gateway.connections][0]!;
    let closed = false;
    let writtenAfterClose = 0;
    const writer = conn.writer as unknown as Record<'sendText' | 'writeFrame', (...a: unknown[]) => unknown>;
    for (const method of ['sendText', 'writeFrame'] as const) {
      const real = writer[method].bind(writer);
      writer[method] = (...a: unknown[]) => {
        if (closed) writtenAfterClose++;
        return real(...a);
      };
    }
    c.send({ type: 'subscribe', id: 1, channels: channels.map((channel) => ({ channel, since: { seq: 0, epoch } })) });
    await c.waitFor(() => c.ofType('subscribed').length === 2, 10_000, 'the first two entries answered');
    await waitUntil(() => reads === 3, 10_000, 'the third history read at the gate');

    c.ws.terminate();
    await waitUntil(() => h.gateway.connections.size === 0, 10_000, 'the gateway to see the close');
    closed = true;
    openGate();
    await conn.settled();

    assert.equal(writtenAfterClose, 0, 'nothing written after the close');
    assert.equal(reads, 3, 'the rest of the subscribe did not run');
    assert.equal(metricValue(await fetchMetrics(h.httpUrl), 'ws_subscriptions_active'), 0, 'no subscription left behind');
    assert.equal(conn.state, 'closed', 'the connection knows it is closed');
  } finally {
    await h.stop();
    await broker.close().catch(() => undefined);
    await publisher.close().catch(() => undefined);
    await server.cleanup();
  }
});

test('a 100-channel resume while NATS is down: 100 HISTORY_UNAVAILABLE answers, and the connection stays open (server faults spend no abuse budget)', { timeout: 120_000 }, async () => {
  const server = await NatsServer.start();
  const broker = natsBroker(server.url, { reconnectTimeWaitMs: 200 });
  const publisher = natsBroker(server.url, { consume: false });
  const h = await startTestGateway({ rateLimitBurst: 1000 }, broker);
  try {
    await publisher.start();
    const channels = Array.from({ length: 100 }, (_, i) => `token.C${i}.price`);
    let epoch = '';
    for (const channel of channels) epoch = (await publisher.publish(channel, { type: 'price:update' })).epoch;
    await waitUntil(async () => (await h.broker.latest(channels[99]!)).position.seq > 0, 10_000, 'the gateway to have seen every channel');

    await server.stop('SIGKILL');
    await waitUntil(() => !h.gateway.health().checks.nats.healthy, 10_000, 'the gateway to see the outage');
    const c = await TestClient.connect(h.url);
    c.send({ type: 'subscribe', id: 1, channels: channels.map((channel) => ({ channel, since: { seq: 0, epoch } })) });
    await c.waitFor(() => c.ofType('subscribed').length === 100 || c.closeCode !== undefined, 100_000, '100 answers or a close');
    assert.equal(c.closeCode, undefined, `not closed (got ${c.closeCode} ${c.closeReason})`);
    assert.equal(c.ofType('error').filter((e) => e.code === 'HISTORY_UNAVAILABLE').length, 100);
    // A later answer that must come after any close the errors could cause: the connection is still served.
    c.send({ type: 'ping', id: 'after' });
    await c.waitFor(() => c.ofType('pong').some((m) => m.id === 'after') || c.closeCode !== undefined, 10_000, 'pong');
    assert.equal(c.closeCode, undefined, 'still open after the pong');
    c.close();
  } finally {
    await h.stop();
    await broker.close().catch(() => undefined);
    await publisher.close().catch(() => undefined);
    await server.cleanup();
  }
});
