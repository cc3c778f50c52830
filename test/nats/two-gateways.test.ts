// Two gateway instances on one NATS: both deliver every message, and a
// client that leaves one resumes on the other with nothing lost and nothing
// duplicated while publishing goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NatsServer } from '../helpers/nats-server.js';
import { TestClient } from '../helpers/test-client.js';
import { assertSeamless, expectedTicks, resumeEntries, waitUntil, NatsScene } from './nats-test-kit.js';

const CHANNELS = ['token.AAA.price', 'token.BBB.price', 'token.CCC.price'];

test('two gateways over one NATS: both deliver everything; clients resume on the other instance seamlessly', { timeout: 90_000 }, async () => {
  const server = await NatsServer.start();
  const scene = new NatsScene();
  try {
    const a = await scene.addGateway(server.url);
    const b = await scene.addGateway(server.url);
    const onA = await scene.connect(a.url);
    const onB = await scene.connect(b.url);
    const leaverExact = await scene.connect(a.url);
    const leaverWild = await scene.connect(a.url);
    await onA.subscribe(CHANNELS);
    await onB.subscribe(['token.*.price']);
    await leaverExact.subscribe(CHANNELS);
    await leaverWild.subscribe(['token.*.price']);

    const publisher = await scene.startPublisher(server.url, CHANNELS, 4);

    await waitUntil(() => leaverExact.data.length >= 60 && leaverWild.data.length >= 60, 15_000, 'traffic before the move');
    // Leave A (an abrupt close, as when a network drops) and resume on B.
    leaverExact.ws.terminate();
    leaverWild.ws.terminate();
    const movedExact = await scene.connect(b.url);
    const movedWild = await scene.connect(b.url);
    const exactAnswers = await movedExact.subscribe(resumeEntries(leaverExact, CHANNELS));
    assert.equal(exactAnswers.length, 3);
    assert.ok(exactAnswers.every((s) => s.recovered === true), 'every channel recovered');
    // A wildcard resumes from the newest seq it saw on any of its channels.
    const wildSince = Math.max(...leaverWild.data.map((m) => m.seq));
    const [wildAnswer] = await movedWild.subscribe([{ channel: 'token.*.price', since: { seq: wildSince, epoch: leaverWild.data[0]!.epoch } }]);
    assert.equal(wildAnswer?.recovered, true);

    await waitUntil(() => publisher.produced >= 300, 20_000, 'more traffic after the move');
    await publisher.finish();
    const total = publisher.produced;
    const got = (c: TestClient) => c.data.length;
    await waitUntil(() => got(onA) === total && got(onB) === total, 15_000, `all ${total} messages on both gateways`);
    await waitUntil(() => got(leaverExact) + got(movedExact) === total && got(leaverWild) + got(movedWild) === total, 15_000, 'all messages across the move');

    for (const channel of CHANNELS) {
      const expected = expectedTicks(publisher, channel);
      assertSeamless(channel, expected, onA);
      assertSeamless(channel, expected, onB);
      assertSeamless(channel, expected, leaverExact, movedExact);
      assertSeamless(channel, expected, leaverWild, movedWild);
    }
    // Positions mean the same on both instances.
    const positions = (c: TestClient) => c.data.map((m) => `${m.channel}@${m.seq}/${m.epoch}`).sort();
    assert.deepEqual(positions(onA), positions(onB));
  } finally {
    await scene.cleanup();
    await server.cleanup();
  }
});
