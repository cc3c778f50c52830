// The NATS broker against a real nats-server: positions, live delivery,
// latest, history and the recovered rule, de-duplication, foreign payloads,
// epochs.
import { after, before, beforeEach, test } from 'node:test';
import { readWholeHistory } from '../../src/broker/history-pager.js';
import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { BrokerMessage } from '../../src/broker/broker.js';
import { NatsServer } from '../helpers/nats-server.js';
import { deleteAllStreams, natsBroker, uniqueStream, waitUntil } from './nats-test-kit.js';
import type { NatsBroker } from '../../src/broker/broker-nats.js';
import { NatsChannelView } from '../../src/broker/nats-channel-view.js';
import { readHistoryPage } from '../../src/broker/nats-history-reader.js';

let server: NatsServer;
const brokers: NatsBroker[] = [];

before(async () => {
  server = await NatsServer.start();
});
async function closeBrokers(): Promise<void> {
  for (const b of brokers.splice(0)) await b.close().catch(() => undefined);
}
// Streams may not overlap, and each test owns `odin.>`: start each from an empty server.
beforeEach(async () => {
  await closeBrokers();
  await deleteAllStreams(server.url);
});
after(async () => {
  await closeBrokers();
  await server?.cleanup();
});

/** The newest seq each started broker's live consumer has taken in. */
const liveTop = new Map<NatsBroker, { seq: number }>();

async function started(stream: string, overrides: Parameters<typeof natsBroker>[1] = {}): Promise<NatsBroker> {
  const b = natsBroker(server.url, { name: stream, ...overrides });
  brokers.push(b);
  const top = { seq: 0 };
  liveTop.set(b, top);
  b.onMessage((m) => (top.seq = Math.max(top.seq, m.seq)));
  await b.start();
  return b;
}

/**
 * Waits until `b`'s live consumer has taken in `seq`. A history read stops at
 * what the live consumer has taken in (later messages reach subscribers live),
 * so a read made right after a publish may end before it: a test about the
 * read's content waits for this first.
 */
async function takenIn(b: NatsBroker, seq: number): Promise<void> {
  await waitUntil(() => liveTop.get(b)!.seq >= seq, 10_000, `the live consumer to take in seq ${seq}`);
}

function collect(b: NatsBroker): BrokerMessage[] {
  const got: BrokerMessage[] = [];
  b.onMessage((m) => got.push(m));
  return got;
}

test('publish assigns stream positions; every instance gets each live message once, in order, with prev links', async () => {
  const stream = uniqueStream();
  const a = await started(stream);
  const b = await started(stream);
  assert.equal(a.epoch(), b.epoch(), 'instances on one stream share the epoch');
  assert.match(a.epoch(), /^[A-Za-z0-9_-]{1,64}$/);
  const onA = collect(a);
  const onB = collect(b);
  const positions = [];
  for (let i = 1; i <= 6; i++) positions.push(await a.publish(i % 2 ? 'token.BTC.price' : 'token.ETH.price', { type: 'price:update', i }));
  assert.deepEqual(positions.map((p) => p.seq), [1, 2, 3, 4, 5, 6]);
  assert.ok(positions.every((p) => p.epoch === a.epoch()));
  await waitUntil(() => onA.length === 6 && onB.length === 6, 5000, 'live messages on both instances');
  for (const got of [onA, onB]) {
    assert.deepEqual(got.map((m) => m.seq), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(got.map((m) => m.prev), [0, 0, 1, 2, 3, 4]);
    assert.deepEqual(got.map((m) => m.channel), ['token.BTC.price', 'token.ETH.price', 'token.BTC.price', 'token.ETH.price', 'token.BTC.price', 'token.ETH.price']);
    assert.ok(got.every((m) => m.event === 'price:update' && m.epoch === a.epoch()));
    assert.deepEqual(JSON.parse(got[0]!.payload), { type: 'price:update', i: 1 });
    assert.ok(Math.abs(got[0]!.ts - Date.now()) < 60_000, 'ts is the stream timestamp in ms');
  }
  assert.equal(onA[3]!.ts, onB[3]!.ts, 'ts is the same on every instance');
});

test('a broker started later seeds latest from the stream without replaying old messages as live', async () => {
  const stream = uniqueStream();
  const pub = await started(stream);
  for (let i = 1; i <= 5; i++) await pub.publish('token.SOL.price', { type: 'price:update', i });
  await pub.publish('market.statistics', { type: 'market:statistics' });
  const late = await started(stream);
  const live = collect(late);
  const latest = await late.latest('token.SOL.price');
  assert.deepEqual(latest.messages.map((m) => m.seq), [5]);
  assert.equal(latest.position.seq, 5);
  const all = await late.latest('>');
  assert.deepEqual(all.messages.map((m) => [m.channel, m.seq]), [['token.SOL.price', 5], ['market.statistics', 6]]);
  assert.equal(all.position.seq, 6);
  assert.deepEqual((await late.latest('token.*.price')).messages.map((m) => m.seq), [5]);
  assert.deepEqual((await late.latest('token.NONE.price')).messages, []);
  await pub.publish('token.SOL.price', { type: 'price:update', i: 6 });
  await waitUntil(() => live.length === 1, 5000, 'the new message');
  assert.equal(live[0]!.seq, 7);
  assert.equal(live[0]!.prev, 5, 'prev of the first live message is the seeded latest');
  // A later message must arrive after anything emitted before it: seeded messages would show up before it.
  await pub.publish('token.SOL.price', { type: 'price:update', i: 7 });
  await waitUntil(() => live.length >= 2, 5000, 'the marker message');
  assert.deepEqual(live.map((m) => m.seq), [7, 8], 'seeded messages are not emitted as live');
});

test('history replays exactly the messages after since, for channels and patterns, with prev links', async () => {
  const stream = uniqueStream();
  const a = await started(stream);
  for (let i = 1; i <= 9; i++) await a.publish(`token.T${i % 3}.price`, { type: 'price:update', i });
  // seqs: T1: 1,4,7  T2: 2,5,8  T0: 3,6,9
  await takenIn(a, 9);
  const b = await started(stream); // a fresh instance: only the seed pass seen live
  for (const broker of [a, b]) {
    const one = await readWholeHistory(broker, 'token.T1.price', { seq: 4, epoch: a.epoch() });
    assert.equal(one.recovered, true);
    assert.deepEqual(one.messages.map((m) => [m.seq, m.prev]), [[7, 4]]);
    assert.equal(one.position.seq, 7);
    const wild = await readWholeHistory(broker, 'token.*.price', { seq: 5, epoch: a.epoch() });
    assert.equal(wild.recovered, true);
    assert.deepEqual(wild.messages.map((m) => m.seq), [6, 7, 8, 9]);
    assert.equal(wild.position.seq, 9);
    const caughtUp = await readWholeHistory(broker, 'token.T2.price', { seq: 8, epoch: a.epoch() });
    assert.deepEqual([caughtUp.recovered, caughtUp.messages.length, caughtUp.position.seq], [true, 0, 8]);
    const fromZero = await readWholeHistory(broker, 'token.T0.price', { seq: 0, epoch: a.epoch() });
    assert.equal(fromZero.recovered, true);
    assert.deepEqual(fromZero.messages.map((m) => [m.seq, m.prev]), [[3, 0], [6, 3], [9, 6]]);
    // The first message of each subject in a wildcard resume links to its predecessor: seen live by A, searched in the stream by B.
    const wildPrev = await readWholeHistory(broker, 'token.*.price', { seq: 5, epoch: a.epoch() });
    assert.deepEqual(wildPrev.messages.map((m) => [m.seq, m.prev]), [[6, 3], [7, 4], [8, 5], [9, 6]]);
  }
  const otherEpoch = await readWholeHistory(a, 'token.T1.price', { seq: 4, epoch: 'someotherepoch' });
  assert.deepEqual([otherEpoch.recovered, otherEpoch.messages.length, otherEpoch.position.seq], [false, 0, 7]);
  const future = await readWholeHistory(a, 'token.T1.price', { seq: 1000, epoch: a.epoch() });
  assert.equal(future.recovered, false, 'a position the stream never reached cannot be resumed');
});

test('history is not recovered once the per-subject limit removed a message after since', async () => {
  const stream = uniqueStream();
  const a = await started(stream, { historySize: 3 });
  for (let i = 1; i <= 3; i++) await a.publish('token.X.price', { type: 'price:update', i });
  await a.publish('token.Y.price', { type: 'price:update' }); // seq 4
  await takenIn(a, 4);
  // X holds 1,2,3 (full); a resume from 1 is complete, from 0 too (nothing removed yet).
  assert.equal((await readWholeHistory(a, 'token.X.price', { seq: 1, epoch: a.epoch() })).recovered, true);
  assert.equal((await readWholeHistory(a, 'token.X.price', { seq: 0, epoch: a.epoch() })).recovered, true);
  for (let i = 4; i <= 5; i++) await a.publish('token.X.price', { type: 'price:update', i }); // seqs 5,6: 1,2 removed
  await takenIn(a, 6);
  const lost = await readWholeHistory(a, 'token.X.price', { seq: 1, epoch: a.epoch() });
  assert.deepEqual([lost.recovered, lost.messages.length], [false, 0], 'seq 2 is gone');
  const kept = await readWholeHistory(a, 'token.X.price', { seq: 2, epoch: a.epoch() });
  assert.equal(kept.recovered, true);
  assert.deepEqual(kept.messages.map((m) => m.seq), [3, 5, 6]);
  const wild = await readWholeHistory(a, 'token.*.price', { seq: 1, epoch: a.epoch() });
  assert.equal(wild.recovered, false, 'one lost subject spoils a pattern');
  const fresh = await started(stream, { historySize: 3 });
  assert.equal((await readWholeHistory(fresh, 'token.X.price', { seq: 1, epoch: a.epoch() })).recovered, false);
  assert.equal((await readWholeHistory(fresh, 'token.X.price', { seq: 3, epoch: a.epoch() })).recovered, true);
});

test('history is not recovered once the age limit removed a message after since; latest survives expiry', async () => {
  const stream = uniqueStream();
  const a = await started(stream, { historyMaxAgeSec: 1 });
  await a.publish('token.A.price', { type: 'price:update', i: 1 });
  await a.publish('token.A.price', { type: 'price:update', i: 2 });
  assert.equal((await readWholeHistory(a, 'token.*.price', { seq: 1, epoch: a.epoch() })).recovered, true, 'nothing expired yet');
  // JetStream expires both within a second or two; from then on seq 2 is lost to a resume from 1.
  await waitUntil(async () => !(await readWholeHistory(a, 'token.*.price', { seq: 1, epoch: a.epoch() })).recovered, 8000, 'expiry to be noticed');
  await a.publish('token.B.price', { type: 'price:update' }); // seq 3
  assert.equal((await readWholeHistory(a, 'token.*.price', { seq: 1, epoch: a.epoch() })).recovered, false);
  assert.deepEqual((await a.latest('token.A.price')).messages.map((m) => m.seq), [2], 'the running instance keeps the latest value');
  const caughtUp = await readWholeHistory(a, 'token.A.price', { seq: 2, epoch: a.epoch() });
  assert.equal(caughtUp.recovered, true, 'nothing was published after 2 on A');
});

test('publish with a msgId is stored once however often it is retried', async () => {
  const stream = uniqueStream();
  const a = await started(stream);
  const got = collect(a);
  const first = await a.publish('token.D.price', { type: 'price:update', n: 1 }, { msgId: 'abc' });
  const again = await a.publish('token.D.price', { type: 'price:update', n: 1 }, { msgId: 'abc' });
  const other = await a.publish('token.D.price', { type: 'price:update', n: 2 }, { msgId: 'abd' });
  assert.equal(again.seq, first.seq);
  assert.equal(other.seq, first.seq + 1);
  // A marker published after the retry: once it arrives, a second copy of the retried message would have too.
  const marker = await a.publish('token.D.price', { type: 'price:update', n: 3 });
  await waitUntil(() => got.some((m) => m.seq === marker.seq), 5000, 'the marker message');
  assert.deepEqual(got.map((m) => m.seq), [first.seq, other.seq, marker.seq]);
});

test('foreign payloads: non-JSON is wrapped as a JSON string, multi-line JSON is re-serialised', async () => {
  const stream = uniqueStream();
  const a = await started(stream);
  const got = collect(a);
  const nc = await connect({ servers: server.url });
  try {
    const js = (await jetstreamManager(nc)).jetstream();
    await js.publish('odin.foreign.raw', 'not json at all');
    await js.publish('odin.foreign.pretty', '{\n  "type": "trade",\n  "qty": 2\n}');
    await js.publish('odin.foreign.array', '[1,2]');
  } finally {
    await nc.close();
  }
  await waitUntil(() => got.length === 3, 5000, 'foreign messages');
  assert.equal(got[0]!.payload, JSON.stringify('not json at all'));
  assert.equal(got[0]!.event, 'message');
  assert.equal(got[1]!.payload, '{"type":"trade","qty":2}');
  assert.equal(got[1]!.event, 'trade');
  assert.equal(got[2]!.payload, '[1,2]');
  for (const m of got) JSON.parse(m.payload);
});

test('the epoch changes when the stream is recreated', async () => {
  const stream = uniqueStream();
  const a = await started(stream);
  await a.publish('token.E.price', { type: 'price:update' });
  const before = a.epoch();
  await a.close();
  const nc = await connect({ servers: server.url });
  try {
    await (await jetstreamManager(nc)).streams.delete(stream);
  } finally {
    await nc.close();
  }
  const b = await started(stream);
  assert.notEqual(b.epoch(), before);
  const r = await readWholeHistory(b, 'token.E.price', { seq: 0, epoch: before });
  assert.equal(r.recovered, false);
});

test('history falls back to reading from the stream leader when the read consumer cannot be created', async () => {
  const stream = uniqueStream();
  const a = await started(stream);
  for (let i = 1; i <= 12; i++) await a.publish(`token.F${i % 3}.price`, { type: 'price:update', i });
  // Both reads below must cover seq 12: CI (Node 24) once saw the first end at 11, read before the live consumer took 12 in.
  await takenIn(a, 12);
  const normal = await readWholeHistory(a, 'token.*.price', { seq: 4, epoch: a.epoch() });
  // A view as a live consumer would have built it.
  const view = new NatsChannelView();
  for (const m of (await readWholeHistory(a, 'token.*.price', { seq: 0, epoch: a.epoch() })).messages) view.record(m, true);
  const nc = await connect({ servers: server.url });
  const broken = await connect({ servers: server.url });
  try {
    const jsm = await jetstreamManager(nc);
    const readJs = jetstream(broken);
    await broken.close(); // every consumer request on it fails at once
    const fallback = await readHistoryPage({ readJs, jsm, stream, epoch: a.epoch(), view }, 'token.*.price', { seq: 4, epoch: a.epoch() }, { maxBytes: 1 << 20 });
    assert.equal(fallback.recovered, true);
    assert.deepEqual(fallback.messages.map((m) => [m.channel, m.seq, m.prev, m.payload]), normal.messages.map((m) => [m.channel, m.seq, m.prev, m.payload]));
    assert.deepEqual(fallback.messages.map((m) => m.seq), [5, 6, 7, 8, 9, 10, 11, 12]);
  } finally {
    await nc.close();
  }
});
