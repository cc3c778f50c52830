// Issue 20, finding 1, on the memory broker: a `wide.>` resume over 10,000
// channels is merged lazily page by page (no collect-and-sort of the whole
// backlog in one turn of the event loop), and /api/history reads one page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { MemoryBroker } from '../../src/broker/broker-memory.js';
import type { HistoryCursor, HistoryPage, HistoryPageOptions, Position } from '../../src/broker/broker.js';
import { api, apiGateway } from '../api/api-fixtures.js';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { TestClient } from '../helpers/test-client.js';

const CHANNELS = 10_000;
const PER_CHANNEL = 10;

test(`a wide.> resume over ${CHANNELS} channels replays every message in seq order, page by page; the event-loop delay is recorded`, { timeout: 120_000 }, async () => {
  const h = await startTestGateway({ historySize: 100, rateLimitBurst: 1000 });
  const broker = h.broker as MemoryBroker;
  try {
    for (let n = 0; n < PER_CHANNEL; n++) for (let c = 0; c < CHANNELS; c++) broker.publishNow(`wide.C${c}.price`, { type: 'price:update', n });
    const total = CHANNELS * PER_CHANNEL;
    const pages: number[] = [];
    const realPage = broker.historyPage.bind(broker);
    broker.historyPage = async (pattern: string, from: Position | HistoryCursor, options: HistoryPageOptions): Promise<HistoryPage> => {
      const page = await realPage(pattern, from, options);
      pages.push(page.messages.length);
      return page;
    };
    const client = await TestClient.connect(h.url);
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const [answer] = await client.subscribe([{ channel: 'wide.>', since: { seq: 0, epoch: broker.epoch() } }]);
    assert.deepEqual(client.ofType('error'), []);
    delay.disable();
    assert.equal(answer!.recovered, true);
    assert.equal(answer!.replayed, total);
    const seqs = client.data.map((m) => m.seq);
    assert.equal(seqs.length, total);
    assert.ok(seqs.every((s, i) => s === i + 1), 'every seq once, in order');
    assert.deepEqual(client.gaps, []);
    assert.ok(pages.length > 1, `read in several pages (${pages.length})`);
    assert.ok(delay.count > 0, 'the event-loop delay was sampled during the replay');
    console.log(`wide.> over ${CHANNELS} channels x ${PER_CHANNEL}: ${pages.length} pages; event-loop delay during the resume: max ${(delay.max / 1e6).toFixed(1)} ms, p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, mean ${(delay.mean / 1e6).toFixed(1)} ms (${delay.count} samples)`);
    client.close();
  } finally {
    await h.stop();
  }
});

test('/api/history?limit=1 reads one page of one message, not the whole backlog', async () => {
  const h = await apiGateway({ historySize: 1000 });
  const broker = h.broker as MemoryBroker;
  try {
    for (let n = 0; n < 1000; n++) for (let c = 0; c < 20; c++) broker.publishNow(`hist.C${c}.price`, { type: 'price:update', n });
    const reads: number[] = [];
    const realPage = broker.historyPage.bind(broker);
    broker.historyPage = async (pattern: string, from: Position | HistoryCursor, options: HistoryPageOptions): Promise<HistoryPage> => {
      const page = await realPage(pattern, from, options);
      reads.push(page.messages.length);
      return page;
    };
    const res = await api(h.httpUrl, 'GET', `/api/history?channel=hist.>&since=0&epoch=${broker.epoch()}&limit=1`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal((res.body.messages as unknown[]).length, 1);
    assert.equal(res.body.more, true);
    assert.deepEqual(reads, [1], 'one page read, holding one message');
  } finally {
    await h.stop();
  }
});
