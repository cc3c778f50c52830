// One owner of the live consumer: Odin's recovery supervisor. Things done to
// JetStream behind Odin's back, under traffic: the live consumer deleted (it
// is replaced from the last seq taken in: no gap, same epoch), the stream
// deleted and re-created (no message of the new stream may reach a client
// under the old epoch; the supervisor adopts the new stream and closes
// clients with 1012). Before, the nats.js ordered consumer recreated itself
// on its own, and could re-attach to a re-created stream from the old
// stream's position.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { CloseCode } from '@odin-gateway/client/codes';
import { NatsServer } from '../helpers/nats-server.js';
import { assertSeamless, expectedTicks, NatsScene, sleep, uniqueStream, waitUntil } from './nats-test-kit.js';

let server: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;

before(async () => {
  server = await NatsServer.start();
  nc = await connect({ servers: server.url });
  jsm = await jetstreamManager(nc);
});
after(async () => {
  await nc?.close();
  await server?.cleanup();
});

async function deleteAllStreams(): Promise<void> {
  for await (const name of jsm.streams.names()) await jsm.streams.delete(name);
}

async function consumerNames(stream: string): Promise<string[]> {
  const names: string[] = [];
  for await (const c of jsm.consumers.list(stream)) names.push(c.name);
  return names;
}

const CHANNELS = ['token.AAA.price', 'token.BBB.price'];

test('the live consumer deleted behind Odin\'s back under traffic: replaced from the last seq taken in; no gap, same epoch, nobody closed', { timeout: 90_000 }, async () => {
  await deleteAllStreams();
  const stream = uniqueStream();
  const scene = new NatsScene();
  try {
    const gw = await scene.addGateway(server.url, { name: stream });
    const client = await scene.connect(gw.url);
    await client.subscribe(CHANNELS);
    const publisher = await scene.startPublisher(server.url, CHANNELS, 10, { name: stream });
    await waitUntil(() => client.data.length >= 40, 15_000, 'traffic before the deletion');

    const before = await consumerNames(stream);
    assert.equal(before.length, 1, `one live consumer: ${JSON.stringify(before)}`);
    for (let round = 0; round < 2; round++) {
      const names = await consumerNames(stream);
      for (const name of names) await jsm.consumers.delete(stream, name).catch(() => undefined);
      const producedAtDelete = publisher.produced;
      await waitUntil(() => client.data.length >= producedAtDelete + 40, 30_000, `delivery to go on after deletion ${round + 1}`, () => ({
        producedAtDelete,
        received: client.data.length,
        closed: client.closeCode,
        nats: gw.gateway.health().checks.nats,
      }));
      const now = await consumerNames(stream);
      assert.equal(now.length, 1, `one live consumer again: ${JSON.stringify(now)}`);
      assert.ok(!names.includes(now[0]!), 'a new consumer took its place');
    }

    await publisher.finish();
    const total = publisher.produced;
    await waitUntil(() => client.data.length === total, 30_000, `all ${total} messages`);
    for (const channel of CHANNELS) assertSeamless(channel, expectedTicks(publisher, channel), client);
    assert.deepEqual([...new Set(client.data.map((m) => m.epoch))], [client.data[0]!.epoch], 'one epoch throughout');
    assert.equal(client.closeCode, undefined, 'the client was never closed');
  } finally {
    await scene.cleanup();
  }
});

test('the stream deleted and re-created behind Odin\'s back: no message of the new stream reaches a client under the old epoch; clients are closed 1012', { timeout: 90_000 }, async () => {
  await deleteAllStreams();
  const stream = uniqueStream();
  const scene = new NatsScene();
  let publishing = true;
  try {
    // The supervisor's poll is slow here, so it cannot mask a consumer that re-attaches by itself.
    const gw = await scene.addGateway(server.url, { name: stream, lagCheckMs: 60_000 });
    const client = await scene.connect(gw.url);
    await client.subscribe(['token.*.price']);
    const js = jetstream(nc);
    for (let i = 1; i <= 5; i++) await js.publish('odin.token.AAA.price', JSON.stringify({ type: 'tick', stream: 'old', i }));
    await waitUntil(() => client.data.length >= 5, 10_000, 'the old stream\'s messages');
    const oldEpoch = client.data[0]!.epoch;

    const { config } = await jsm.streams.info(stream);
    await jsm.streams.delete(stream);
    await jsm.streams.add({ ...config, name: stream, storage: StorageType.File, max_age: nanos(600_000) });
    // Messages of the new stream, at seqs the old one also had (1..) and beyond.
    let n = 0;
    const newTraffic = (async () => {
      while (publishing) {
        await js.publish('odin.token.AAA.price', JSON.stringify({ type: 'tick', stream: 'new', i: ++n })).catch(() => undefined);
        await sleep(50);
      }
    })();
    const code = await client.waitClosed(45_000);
    publishing = false;
    await newTraffic;
    const wrong = client.data.filter((m) => (m.data as { stream: string }).stream === 'new' && m.epoch === oldEpoch);
    assert.deepEqual(wrong.map((m) => m.seq), [], 'no message of the new stream under the old epoch');
    assert.equal(code, CloseCode.HISTORY_RESET, 'closed so that it resyncs with the new epoch');

    // A new client is served from the new stream, under its epoch.
    const fresh = await scene.connect(gw.url);
    await fresh.subscribe(['token.*.price']);
    await js.publish('odin.token.AAA.price', JSON.stringify({ type: 'tick', stream: 'new', i: ++n }));
    await waitUntil(() => fresh.data.length >= 1, 10_000, 'a message on the new stream');
    assert.notEqual(fresh.data[0]!.epoch, oldEpoch);
  } finally {
    publishing = false;
    await scene.cleanup();
  }
});
