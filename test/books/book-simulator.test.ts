// The publisher's simulated books (--book-rate) through a real gateway that
// shares its broker, as in `odin dev`: the docs' client verifies every
// message, the gateway's fold agrees with every published checksum, and a
// corrupted book is repaired by the simulator answering the gateway's
// `book-snapshot` control request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { TestClient } from '../helpers/test-client.js';
import { createLogger } from '../../src/observability/logger.js';
import { startPublisher } from '../../src/publisher/publisher-runtime.js';
import { BookSimulator } from '../../src/publisher/book-simulator.js';
import { MarketModel } from '../../src/publisher/market-model.js';
import { OrderBook } from '../../src/books/order-book.js';
import { foldBookData } from '../../src/books/book-fold.js';
import { loadDocsClient, stopDocsClient } from './docs-book-client.js';
import { waitUntil } from '../nats/nats-test-kit.js';

test('the simulator starts each book with a snapshot, and a book folded from its messages matches every checksum', () => {
  let seed = 11;
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const market = new MarketModel(['BTC', 'DOGE'], random);
  const sim = new BookSimulator(market, random);
  const books = new Map<string, OrderBook>();
  const kinds: string[] = [];
  for (let i = 0; i < 1000; i++) {
    if (i % 2 === 0) market.tick(i % 4 === 0 ? 'BTC' : 'DOGE');
    const out = sim.next(['BTC', 'DOGE'])!;
    if (i < 2) assert.equal(out.data.kind, 'snapshot', `${out.channel} starts with a snapshot`);
    kinds.push(out.data.kind);
    const book = books.get(out.channel) ?? new OrderBook();
    books.set(out.channel, book);
    const folded = foldBookData(book, out.data);
    assert.equal(folded.checksum, out.data.checksum, `message ${i} on ${out.channel}`);
    assert.ok(book.bids.length > 0 && book.asks.length > 0);
    assert.ok(Number(book.bids[0]![0]) < Number(book.asks[0]![0]), 'not crossed');
  }
  assert.ok(kinds.filter((k) => k === 'snapshot').length >= 4, 'a snapshot now and then');
  // The mid follows the price walk.
  const btc = books.get('book.BTC')!;
  const mid = (Number(btc.bids[0]![0]) + Number(btc.asks[0]![0])) / 2;
  assert.ok(Math.abs(mid / market.tokens.get('BTC')!.price - 1) < 0.01, `mid ${mid} near ${market.tokens.get('BTC')!.price}`);
  // book-snapshot: answered for a simulated book only.
  assert.equal(sim.snapshotRequested('book-snapshot', { channel: 'book.BTC' })?.data.kind, 'snapshot');
  assert.equal(sim.snapshotRequested('book-snapshot', { channel: 'book.XRP' }), undefined);
  assert.equal(sim.snapshotRequested('disconnect', { channel: 'book.BTC' }), undefined);
  assert.equal(sim.snapshotRequested('book-snapshot', 'book.BTC'), undefined);
});

test('odin dev wiring: --book-rate books verify at the docs client, and a corrupted book is repaired by a snapshot the gateway asks for', { timeout: 60_000 }, async () => {
  const g = await startTestGateway();
  const publisher = await startPublisher({
    broker: g.broker,
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    registry: new Registry(),
    settings: { messagesPerSecond: 20, tokens: ['BTC', 'ETH'], duration: 0, statisticsIntervalMs: 60_000, tradeEventsPerSecond: 0, users: [], maxInFlight: 1000, bookMessagesPerSecond: 100 },
    instanceId: 'book-sim-test',
  });
  const { followBook } = await loadDocsClient();
  const client = followBook([g.url], 'book.BTC', 10);
  const watcher = await TestClient.connect(g.url);
  try {
    publisher.service.start();
    await waitUntil(() => client.verified >= 40, 30_000, '40 verified book messages', () => ({ verified: client.verified }));
    assert.equal(client.mismatches, 0);
    assert.equal(client.gaps, 0);
    const mismatches = async (): Promise<number> => metricValue(await fetchMetrics(g.httpUrl), 'ws_book_checksum_mismatches_total');
    assert.equal(await mismatches(), 0, "the gateway's fold agrees with every checksum the simulator sent");
    // A foreign publish with a wrong checksum: the gateway counts it and asks for a snapshot; the simulator answers.
    await watcher.subscribe([{ channel: 'book.BTC' }]);
    const corrupted = (await g.broker.publish('book.BTC', { kind: 'update', bids: [['1.0', '1.00000000']], asks: [], checksum: 1 })).seq;
    await waitUntil(async () => (await mismatches()) === 1, 10_000, 'mismatch counted');
    await watcher.waitFor(
      () => watcher.dataOn('book.BTC').some((m) => m.seq > corrupted && (m.data as { kind: string }).kind === 'snapshot'),
      20_000,
      'a snapshot after the corrupted message',
    );
    const repairedAt = client.verified;
    await waitUntil(() => client.verified >= repairedAt + 20, 30_000, 'the client goes on verifying');
    assert.equal(client.mismatches, 0);
    assert.equal(client.gaps, 0);
    assert.ok(publisher.service.stats().bookMessagesPublished >= 60);
  } finally {
    stopDocsClient(client);
    watcher.close();
    await publisher.stop();
    await g.stop();
  }
});
