// `odin gateway --workers 2`: two processes share one port, each with its own
// NATS connection; clients spread over both get every message; SIGTERM to the
// primary drains the workers (clients asked to move with 4005) and exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePorts, NatsServer } from '../helpers/nats-server.js';
import { TestClient } from '../helpers/test-client.js';
import type { NatsBroker } from '../../src/broker/broker-nats.js';
import { startGatewayProcess, type GatewayProcess } from './gateway-process.js';
import { assertSeamless, expectedTicks, natsBroker, RetryingPublisher, waitUntil } from './nats-test-kit.js';

const CHANNELS = ['token.AAA.price', 'token.BBB.price'];

test('--workers 2: two gateway processes on one port over NATS; every client gets everything; SIGTERM exits 0', { timeout: 90_000 }, async () => {
  const server = await NatsServer.start();
  const clients: TestClient[] = [];
  const stopOnExit: Array<() => void> = [];
  let gateway: GatewayProcess | undefined;
  let publisherBroker: NatsBroker | undefined;
  try {
    const [port] = await freePorts(1);
    gateway = await startGatewayProcess(['--nats', server.url, '--workers', '2', '--drain-seconds', '0.5', '--port', String(port)], { instances: 2 });
    const started = gateway.lines.filter((l) => l.event === 'gateway_started');
    assert.equal(started.length, 2);
    assert.deepEqual(started.map((l) => l.port), [port, port], 'both workers serve the one port');
    assert.notEqual(started[0]!.instance, started[1]!.instance, 'two distinct instances');

    for (let i = 0; i < 6; i++) clients.push(await TestClient.connect(`ws://127.0.0.1:${port}/ws`));
    const sessions = new Set(clients.map((c) => (c.ofType('welcome')[0]!.session as string).split('-')[0]));
    assert.equal(sessions.size, 2, 'connections are spread over both workers');
    for (const c of clients) await c.subscribe(CHANNELS);

    publisherBroker = natsBroker(server.url, { consume: false });
    await publisherBroker.start();
    const publisher = new RetryingPublisher(publisherBroker, CHANNELS, 5);
    stopOnExit.push(() => publisher.stop());
    publisher.start();
    await waitUntil(() => publisher.produced >= 100, 15_000, 'traffic');
    await publisher.finish();
    await waitUntil(() => clients.every((c) => c.data.length === publisher.produced), 15_000, 'every message on every client');
    for (const c of clients) for (const channel of CHANNELS) assertSeamless(channel, expectedTicks(publisher, channel), c);

    const code = await gateway.kill('SIGTERM');
    assert.equal(code, 0, 'the primary exits 0 once its workers have stopped');
    assert.ok(gateway.lines.some((l) => l.event === 'gateway_cluster_stopped'));
    for (const c of clients) assert.equal(await c.waitClosed(5000), 4005);
  } finally {
    for (const stop of stopOnExit) stop();
    for (const c of clients) c.ws.terminate();
    await gateway?.kill('SIGKILL');
    await publisherBroker?.close().catch(() => undefined);
    await server.cleanup();
  }
});
