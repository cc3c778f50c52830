// A gateway process killed with SIGKILL: its clients reconnect to the other
// instance and resume from their last positions with nothing lost or doubled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NatsServer } from '../helpers/nats-server.js';
import { TestClient } from '../helpers/test-client.js';
import type { NatsBroker } from '../../src/broker/broker-nats.js';
import { startGatewayProcess, type GatewayProcess } from './gateway-process.js';
import { assertSeamless, expectedTicks, natsBroker, resumeEntries, RetryingPublisher, waitUntil } from './nats-test-kit.js';

const CHANNELS = ['token.AAA.price', 'token.BBB.price', 'market.statistics'];

test('a gateway killed with SIGKILL: its clients resume on the other instance with nothing lost', { timeout: 90_000 }, async () => {
  const server = await NatsServer.start();
  const gateways: GatewayProcess[] = [];
  const clients: TestClient[] = [];
  let publisherBroker: NatsBroker | undefined;
  const stopOnExit: Array<() => void> = [];
  try {
    gateways.push(await startGatewayProcess(['--nats', server.url]));
    gateways.push(await startGatewayProcess(['--nats', server.url]));
    const [doomed, survivor] = gateways as [GatewayProcess, GatewayProcess];
    const exact = await TestClient.connect(doomed.url);
    const wild = await TestClient.connect(doomed.url);
    const watcher = await TestClient.connect(survivor.url);
    clients.push(exact, wild, watcher);
    await exact.subscribe(CHANNELS);
    await wild.subscribe(['token.>', 'market.>']);
    await watcher.subscribe(CHANNELS);

    publisherBroker = natsBroker(server.url, { consume: false });
    await publisherBroker.start();
    const publisher = new RetryingPublisher(publisherBroker, CHANNELS, 4);
    stopOnExit.push(() => publisher.stop());
    publisher.start();
    await waitUntil(() => exact.data.length >= 80, 15_000, 'traffic before the crash');

    await doomed.kill('SIGKILL');
    await exact.waitClosed(5000);
    await wild.waitClosed(5000);
    // What an SDK does on an abnormal close: reconnect elsewhere, resume every channel.
    const exactAgain = await TestClient.connect(survivor.url);
    const wildAgain = await TestClient.connect(survivor.url);
    clients.push(exactAgain, wildAgain);
    const answers = await exactAgain.subscribe(resumeEntries(exact, CHANNELS));
    assert.deepEqual(answers.map((a) => a.recovered), [true, true, true]);
    // A pattern resumes from the newest seq it saw on any of its channels.
    const since = (prefix: string) => ({ seq: Math.max(...wild.data.filter((m) => m.channel.startsWith(prefix)).map((m) => m.seq)), epoch: wild.data[0]!.epoch });
    const wildAnswers = await wildAgain.subscribe([
      { channel: 'token.>', since: since('token.') },
      { channel: 'market.>', since: since('market.') },
    ]);
    assert.deepEqual(wildAnswers.map((a) => a.recovered), [true, true]);

    await waitUntil(() => publisher.produced >= 300, 20_000, 'traffic after the crash');
    await publisher.finish();
    const total = publisher.produced;
    await waitUntil(
      () => watcher.data.length === total && exact.data.length + exactAgain.data.length === total && wild.data.length + wildAgain.data.length === total,
      15_000,
      `all ${total} messages`,
    );
    for (const channel of CHANNELS) {
      const expected = expectedTicks(publisher, channel);
      assertSeamless(channel, expected, watcher);
      assertSeamless(channel, expected, exact, exactAgain);
      assertSeamless(channel, expected, wild, wildAgain);
    }
  } finally {
    for (const stop of stopOnExit) stop();
    for (const c of clients) c.ws.terminate();
    for (const g of gateways) await g.kill('SIGKILL');
    await publisherBroker?.close().catch(() => undefined);
    await server.cleanup();
  }
});
