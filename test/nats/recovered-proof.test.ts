// Issue 9, broken promise 1: `recovered:true` must be proven, never assumed.
// With history size 3, one old message on another subject keeps the stream's
// first seq low, so the age check passes; the per-subject limit removed the
// messages a client missed, and no instance may claim otherwise. Each case
// also resumes from a position that is really covered, so that a gateway
// answering `false` to everything fails too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NatsBroker } from '../../src/broker/broker-nats.js';
import { NatsServer } from '../helpers/nats-server.js';
import type { TestClient } from '../helpers/test-client.js';
import { NatsScene, natsBroker, uniqueStream } from './nats-test-kit.js';

const BTC = 'token.BTC.price';

/** A publish-only broker on `stream`. */
async function publisherOn(scene: NatsScene, url: string, stream: string): Promise<NatsBroker> {
  const pub = natsBroker(url, { name: stream, historySize: 3, consume: false });
  scene.brokers.push(pub);
  await pub.start();
  return pub;
}

/** seq 1 on market.statistics, seqs 2..9 on token.BTC.price. */
async function publishIssueSequence(pub: NatsBroker): Promise<void> {
  assert.equal((await pub.publish('market.statistics', { type: 'market:statistics' })).seq, 1);
  for (let n = 2; n <= 9; n++) assert.equal((await pub.publish(BTC, { type: 'tick', n })).seq, n);
}

/** Subscribes with a position and returns the answer and the data replayed before it. */
async function resume(client: TestClient, channel: string, seq: number, epoch: string): Promise<{ recovered: boolean | undefined; replayed: Array<[number, number]> }> {
  const before = client.data.length;
  const [answer] = await client.subscribe([{ channel, since: { seq, epoch } }]);
  assert.ok(answer, `a subscribed answer for ${channel}`);
  const replayed = client.data.slice(before).map((m): [number, number] => [m.seq, m.prev]);
  return { recovered: answer.recovered, replayed };
}

async function assertIssueCase(scene: NatsScene, gatewayUrl: string, epoch: string): Promise<void> {
  const lost = await resume(await scene.connect(gatewayUrl), BTC, 2, epoch);
  assert.equal(lost.recovered, false, `3..6 are gone: a resume from 2 is not recovered (replayed ${JSON.stringify(lost.replayed)})`);
  const wildLost = await resume(await scene.connect(gatewayUrl), 'token.*.price', 2, epoch);
  assert.equal(wildLost.recovered, false, 'the same through a wildcard');
  // Control: from 6 nothing is missing (7, 8, 9 are retained).
  const kept = await resume(await scene.connect(gatewayUrl), BTC, 6, epoch);
  assert.equal(kept.recovered, true, 'a resume from 6 misses nothing');
  assert.deepEqual(kept.replayed.map(([seq]) => seq), [7, 8, 9]);
  assert.deepEqual(kept.replayed.slice(1), [[8, 7], [9, 8]]);
  assert.ok([6, 0].includes(kept.replayed[0]![1]), 'the first replayed prev is 6 or 0 (unknown), never a seq after the position');
  const fromLatest = await resume(await scene.connect(gatewayUrl), BTC, 8, epoch);
  assert.deepEqual([fromLatest.recovered, fromLatest.replayed], [true, [[9, 8]]]);
}

test('a gateway that saw every message live: resume from a removed position is not recovered', { timeout: 60_000 }, async () => {
  const server = await NatsServer.start();
  const scene = new NatsScene();
  try {
    const stream = uniqueStream();
    const gw = await scene.addGateway(server.url, { name: stream, historySize: 3 });
    const pub = await publisherOn(scene, server.url, stream);
    const watcher = await scene.connect(gw.url);
    await watcher.subscribe([BTC]);
    await publishIssueSequence(pub);
    await watcher.waitFor(() => watcher.data.length === 8, 10_000, 'all 8 ticks live');
    await assertIssueCase(scene, gw.url, gw.broker.epoch());
  } finally {
    await scene.cleanup();
    await server.cleanup();
  }
});

test('a gateway started after the messages were published: resume from a removed position is not recovered', { timeout: 60_000 }, async () => {
  const server = await NatsServer.start();
  const scene = new NatsScene();
  try {
    const stream = uniqueStream();
    const pub = await publisherOn(scene, server.url, stream);
    await publishIssueSequence(pub);
    const gw = await scene.addGateway(server.url, { name: stream, historySize: 3 });
    await assertIssueCase(scene, gw.url, gw.broker.epoch());
  } finally {
    await scene.cleanup();
    await server.cleanup();
  }
});

test('a restarted gateway: clients away longer than the history are told recovered:false, clients away less recover exactly', { timeout: 90_000 }, async () => {
  const server = await NatsServer.start();
  const scene = new NatsScene();
  const channels = ['token.AAA.price', 'token.BBB.price', 'token.CCC.price'];
  const history = 5;
  try {
    const stream = uniqueStream();
    const pub = natsBroker(server.url, { name: stream, historySize: history, consume: false });
    scene.brokers.push(pub);
    const first = await scene.addGateway(server.url, { name: stream, historySize: history });
    await pub.start();
    await pub.publish('market.statistics', { type: 'market:statistics' }); // keeps the stream's first seq at 1
    const away = await scene.connect(first.url);
    await away.subscribe(channels);
    let n = 0;
    const round = async (count: number) => {
      for (let i = 0; i < count; i++) for (const c of channels) await pub.publish(c, { type: 'tick', n: ++n });
    };
    await round(4);
    await away.waitFor(() => away.data.length === 12, 10_000, 'first ticks');
    const epoch = first.broker.epoch();
    const left = new Map(channels.map((c) => [c, away.lastSeq.get(c)!]));
    const wildLeft = Math.max(...left.values());
    away.ws.terminate();
    await first.stop();

    await round(history + 3); // more than the history on every channel
    const recent = new Map(channels.map((c) => [c, 0]));
    // Positions of a client that was away for fewer than `history` messages per channel.
    const control = await (async () => {
      const probe = natsBroker(server.url, { name: stream, historySize: history });
      scene.brokers.push(probe);
      await probe.start();
      for (const c of channels) recent.set(c, (await probe.latest(c)).position.seq);
      await probe.close();
      return recent;
    })();
    await round(history - 2);

    const restarted = await scene.addGateway(server.url, { name: stream, historySize: history });
    assert.equal(restarted.broker.epoch(), epoch, 'same stream, same epoch');
    for (const c of channels) {
      const lost = await resume(await scene.connect(restarted.url), c, left.get(c)!, epoch);
      assert.equal(lost.recovered, false, `${c}: away longer than the history (replayed ${JSON.stringify(lost.replayed)})`);
      const kept = await resume(await scene.connect(restarted.url), c, control.get(c)!, epoch);
      assert.equal(kept.recovered, true, `${c}: away for ${history - 2} messages`);
      assert.equal(kept.replayed.length, history - 2);
      assert.equal(kept.replayed[0]![1], control.get(c), `${c}: the first replayed message links to the position`);
    }
    const wild = await resume(await scene.connect(restarted.url), 'token.*.price', wildLeft, epoch);
    assert.equal(wild.recovered, false, 'a wildcard away longer than the history');
  } finally {
    await scene.cleanup();
    await server.cleanup();
  }
});
