// The memory broker's history: bounded by count and by age, the latest value
// always kept, and `recovered` exact about what was evicted.
import { test } from 'node:test';
import { readWholeHistory } from '../../src/broker/history-pager.js';
import assert from 'node:assert/strict';
import { MemoryBroker } from '../../src/broker/broker-memory.js';
import { ChannelHistory } from '../../src/broker/channel-history.js';
import type { BrokerMessage } from '../../src/broker/broker.js';

function msg(seq: number, ts: number): BrokerMessage {
  return { channel: 'c', seq, prev: seq - 1, epoch: 'e', ts, event: 'message', payload: '{}' };
}

test('history keeps at most maxCount messages and remembers the newest evicted seq', () => {
  const h = new ChannelHistory(3, 60_000);
  for (let s = 1; s <= 5; s++) h.append(msg(s, 1000));
  assert.equal(h.length, 3);
  assert.equal(h.lastEvictedSeq, 2);
  const out: BrokerMessage[] = [];
  h.after(2, out);
  assert.deepEqual(out.map((m) => m.seq), [3, 4, 5]);
});

test('history drops messages older than maxAge but always keeps the latest', () => {
  const h = new ChannelHistory(100, 1000);
  h.append(msg(1, 0));
  h.append(msg(2, 500));
  h.append(msg(3, 1200)); // expires seq 1 (older than 1200-1000)
  assert.equal(h.length, 2);
  assert.equal(h.lastEvictedSeq, 1);
  h.expire(10_000);
  assert.equal(h.length, 1, 'the latest message survives any age');
  assert.equal(h.latest()!.seq, 3);
});

test('positions: one counter for the broker, prev links messages per channel', async () => {
  const b = new MemoryBroker({ historySize: 10, historyMaxAgeMs: 60_000 });
  const p1 = await b.publish('a', { type: 'x' });
  const p2 = await b.publish('b', { type: 'y' });
  const p3 = await b.publish('a', { type: 'x' });
  assert.deepEqual([p1.seq, p2.seq, p3.seq], [1, 2, 3]);
  const h = await readWholeHistory(b, 'a', { seq: 0, epoch: b.epoch() });
  assert.equal(h.recovered, true);
  assert.deepEqual(h.messages.map((m) => [m.seq, m.prev, m.event]), [[1, 0, 'x'], [3, 1, 'x']]);
  assert.equal(h.position.seq, 3);
  const wild = await readWholeHistory(b, '*', { seq: 1, epoch: b.epoch() });
  assert.deepEqual(wild.messages.map((m) => m.seq), [2, 3]);
});

test('recovered is false when anything after the position was evicted, true up to the oldest kept', async () => {
  const b = new MemoryBroker({ historySize: 3, historyMaxAgeMs: 60_000 });
  for (let i = 0; i < 6; i++) await b.publish('a', { i }); // seqs 1..6, keeps 4..6
  assert.equal((await readWholeHistory(b, 'a', { seq: 2, epoch: b.epoch() })).recovered, false);
  const ok = await readWholeHistory(b, 'a', { seq: 3, epoch: b.epoch() });
  assert.equal(ok.recovered, true);
  assert.deepEqual(ok.messages.map((m) => m.seq), [4, 5, 6]);
  assert.equal((await readWholeHistory(b, 'a', { seq: 99, epoch: b.epoch() })).recovered, false, 'a position from the future');
  assert.equal((await readWholeHistory(b, 'a', { seq: 3, epoch: 'other' })).recovered, false);
});

test('a retried publish with the same msgId is stored once', async () => {
  const b = new MemoryBroker({ historySize: 10, historyMaxAgeMs: 60_000 });
  const first = await b.publish('a', { i: 1 }, { msgId: 'm-1' });
  const again = await b.publish('a', { i: 1 }, { msgId: 'm-1' });
  assert.deepEqual(first, again);
  assert.equal((await b.latest('a')).position.seq, 1);
});

// Issue 9, broken promise 1, against the memory broker: the same sequence as
// test/nats/recovered-proof.test.ts.
test('the issue-9 sequence: a resume from a position whose successors were evicted is not recovered; one still covered is exact', async () => {
  const b = new MemoryBroker({ historySize: 3, historyMaxAgeMs: 60_000 });
  assert.equal((await b.publish('market.statistics', { type: 'market:statistics' })).seq, 1);
  for (let n = 2; n <= 9; n++) await b.publish('token.BTC.price', { type: 'tick', n });
  for (const pattern of ['token.BTC.price', 'token.*.price', '>']) {
    const lost = await readWholeHistory(b, pattern, { seq: 2, epoch: b.epoch() });
    assert.deepEqual([lost.recovered, lost.messages.length], [false, 0], `${pattern}: 3..6 are gone`);
  }
  const kept = await readWholeHistory(b, 'token.BTC.price', { seq: 6, epoch: b.epoch() });
  assert.equal(kept.recovered, true);
  assert.deepEqual(kept.messages.map((m) => [m.seq, m.prev]), [[7, 6], [8, 7], [9, 8]], 'prev is exact, never 0, on the memory broker');
  // A restart of a memory gateway is a new broker: a new epoch, never recovered.
  const restarted = new MemoryBroker({ historySize: 3, historyMaxAgeMs: 60_000 });
  assert.equal((await readWholeHistory(restarted, 'token.BTC.price', { seq: 6, epoch: b.epoch() })).recovered, false);
});

test('history grows its ring on demand and keeps order across growth and wrap-around', () => {
  const h = new ChannelHistory(10, 60_000);
  for (let s = 1; s <= 3; s++) h.append(msg(s, 1000));
  const few: BrokerMessage[] = [];
  h.after(0, few);
  assert.deepEqual(few.map((m) => m.seq), [1, 2, 3]);
  for (let s = 4; s <= 25; s++) h.append(msg(s, 1000));
  assert.equal(h.length, 10);
  assert.equal(h.lastEvictedSeq, 15);
  const out: BrokerMessage[] = [];
  h.after(18, out);
  assert.deepEqual(out.map((m) => m.seq), [19, 20, 21, 22, 23, 24, 25]);
  assert.equal(h.latest()!.seq, 25);
});
