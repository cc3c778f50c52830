// The broker contract's pager on the memory broker: pages bounded in bytes,
// a lazy k-way merge in seq order across channels, cursors that go on where
// the page stopped, and honesty when history goes away in the middle of a read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBroker } from '../../src/broker/broker-memory.js';
import { messageBytes, type BrokerMessage, type HistoryCursor, type HistoryPage, type Position } from '../../src/broker/broker.js';
import { historyPages, readWholeHistory } from '../../src/broker/history-pager.js';

async function allPages(b: MemoryBroker, pattern: string, since: Position, maxBytes: number): Promise<HistoryPage[]> {
  const pages: HistoryPage[] = [];
  for await (const page of historyPages(b, pattern, since, maxBytes)) pages.push(page);
  return pages;
}

test('pages are bounded in bytes, merge channels in seq order, and together are the whole read', async () => {
  const b = new MemoryBroker({ historySize: 1000, historyMaxAgeMs: 60_000 });
  for (let i = 0; i < 600; i++) b.publishNow(`token.C${i % 7}.price`, { i, pad: 'x'.repeat(i % 50) });
  const since = { seq: 100, epoch: b.epoch() };
  const pages = await allPages(b, 'token.*.price', since, 2000);
  assert.ok(pages.length > 5, `several pages (${pages.length})`);
  for (const page of pages) {
    assert.equal(page.recovered, true);
    const bytes = page.messages.reduce((sum, m) => sum + messageBytes(m), 0);
    const last = page.messages[page.messages.length - 1]!;
    assert.ok(bytes - messageBytes(last) < 2000, 'at most maxBytes plus one message');
    assert.equal(page.position.seq, 600);
  }
  assert.deepEqual(pages.map((p) => p.complete), [...pages.slice(1).map(() => false), true]);
  const seqs = pages.flatMap((p) => p.messages.map((m) => m.seq));
  assert.deepEqual(seqs, Array.from({ length: 500 }, (_, i) => 101 + i), 'every message after since, once, in seq order');
  const whole = await readWholeHistory(b, 'token.*.price', since);
  assert.deepEqual(whole.messages.map((m) => m.seq), seqs);
});

test('the read ends at the first page\'s position: later messages are for live delivery', async () => {
  const b = new MemoryBroker({ historySize: 100, historyMaxAgeMs: 60_000 });
  for (let i = 0; i < 20; i++) b.publishNow('a', { i });
  const first = await b.historyPage('a', { seq: 0, epoch: b.epoch() }, { maxBytes: 1, maxMessages: 5 });
  assert.deepEqual(first.messages.map((m) => m.seq), [1]);
  for (let i = 0; i < 5; i++) b.publishNow('a', { late: i });
  const rest: BrokerMessage[] = [];
  let cursor: HistoryCursor | undefined = first.next;
  while (cursor) {
    const page = await b.historyPage('a', cursor, { maxBytes: 1 << 20, maxMessages: 4 });
    rest.push(...page.messages);
    cursor = page.next;
  }
  assert.equal(rest[rest.length - 1]!.seq, 20);
  assert.equal(rest.length, 19);
});

test('a message removed before the read reached it makes the next page recovered:false', async () => {
  const b = new MemoryBroker({ historySize: 10, historyMaxAgeMs: 60_000 });
  for (let i = 0; i < 10; i++) b.publishNow('a', { i });
  const first = await b.historyPage('a', { seq: 0, epoch: b.epoch() }, { maxBytes: 1 << 20, maxMessages: 3 });
  assert.deepEqual([first.recovered, first.messages.map((m) => m.seq)], [true, [1, 2, 3]]);
  b.publishNow('a', { n: 11 }); // evicts seq 1, already read
  const second = await b.historyPage('a', first.next!, { maxBytes: 1 << 20, maxMessages: 3 });
  assert.deepEqual([second.recovered, second.messages.map((m) => m.seq)], [true, [4, 5, 6]]);
  for (let n = 12; n <= 15; n++) b.publishNow('a', { n }); // evict 2..5, all read: 6..15 kept
  const third = await b.historyPage('a', second.next!, { maxBytes: 1 << 20, maxMessages: 1 });
  assert.deepEqual([third.recovered, third.messages.map((m) => m.seq)], [true, [7]]);
  for (let n = 16; n <= 18; n++) b.publishNow('a', { n }); // evict 6..8, and 8 was not read yet
  const fourth = await b.historyPage('a', third.next!, { maxBytes: 1 << 20 });
  assert.deepEqual([fourth.recovered, fourth.messages.length, fourth.complete], [false, 0, true]);
});

test('a history reset between pages ends the read recovered:false', async () => {
  const b = new MemoryBroker({ historySize: 10, historyMaxAgeMs: 60_000 });
  for (let i = 0; i < 5; i++) b.publishNow('a', { i });
  const first = await b.historyPage('a', { seq: 0, epoch: b.epoch() }, { maxBytes: 1, maxMessages: 1 });
  b.resetHistory();
  const next = await b.historyPage('a', first.next!, { maxBytes: 1 << 20 });
  assert.equal(next.recovered, false);
});
