// Books through a real gateway (memory broker, real WebSockets): snapshot on
// subscribe, depth, resume after drops with the client printed in
// docs/books.md, and what the fold does with bad, crossed or mis-summed input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { TestClient } from '../helpers/test-client.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { bookChecksum } from '../../src/books/checksum.js';
import { loadDocsClient, stopDocsClient, TestBookPublisher } from './docs-book-client.js';
import { waitUntil } from '../nats/nats-test-kit.js';

async function readMetric(httpUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  return metricValue(await fetchMetrics(httpUrl), name, labels);
}

interface BookWire {
  kind: string;
  bids: Array<[string, string]>;
  asks: Array<[string, string]>;
  checksum: number;
}

test('a subscribe gets one snapshot at the current position (limited by depth), then updates after it', async () => {
  const g = await startTestGateway();
  try {
    const pub = new TestBookPublisher(g.broker, 'book.BTC');
    await pub.publish(30);
    const c = await TestClient.connect(g.url);
    const [answer] = await c.subscribe([{ channel: 'book.BTC', depth: 10 }]);
    const first = c.dataOn('book.BTC')[0]!;
    const snap = first.data as BookWire;
    assert.equal(snap.kind, 'snapshot');
    assert.equal(first.prev, 0);
    assert.equal(answer!.position.seq, first.seq);
    assert.equal(snap.bids.length, 10);
    assert.equal(snap.asks.length, 10);
    assert.equal(bookChecksum(snap.asks, snap.bids), snap.checksum);
    assert.equal(snap.checksum, pub.model.book.checksum(), "the gateway's book is the publisher's");
    await pub.publish(5);
    await c.waitFor(() => c.dataOn('book.BTC').length === 6, 5000, 'five updates');
    const updates = c.dataOn('book.BTC').slice(1);
    assert.ok(updates.every((m) => (m.data as BookWire).kind === 'update'));
    assert.equal(updates[0]!.prev, first.seq);
    assert.deepEqual(c.gaps, []);
    // A depth that is not offered is refused.
    c.send({ type: 'subscribe', id: 'bad', channels: [{ channel: 'book.ETH', depth: 7 }] });
    await c.waitFor(() => c.ofType('error').some((e) => e.id === 'bad'), 5000, 'depth refused');
    c.close();
  } finally {
    await g.stop();
  }
});

test("the docs' client keeps a verified book at depths 1000 and 10 across random drops and resumes", { timeout: 60_000 }, async () => {
  const g = await startTestGateway();
  const { followBook } = await loadDocsClient();
  const full = followBook([g.url], 'book.BTC');
  const top10 = followBook([g.url], 'book.BTC', 10);
  try {
    const pub = new TestBookPublisher(g.broker, 'book.BTC');
    const top = async (): Promise<number> => (await g.gateway.books.startFor('book.BTC', undefined, 10)).positionSeq;
    const caughtUp = async (what: string): Promise<void> => {
      const seq = await top();
      await waitUntil(() => full.seq === seq && top10.seq === seq, 20_000, what, () => ({ full: full.seq, top10: top10.seq, seq }));
    };
    for (let round = 0; round < 8; round++) {
      await pub.publish(20);
      await caughtUp(`round ${round}: both clients at the newest position`);
      // Drop one abruptly, publish while it is away (a yield between publishes lets frames go out), it resumes with since.
      (round % 2 === 0 ? full : top10).ws.terminate();
      for (let i = 0; i < 20; i++) {
        await pub.publish(1);
        await new Promise((r) => setImmediate(r));
      }
    }
    await caughtUp('both clients at the newest position at the end');
    assert.equal(full.mismatches, 0);
    assert.equal(top10.mismatches, 0);
    assert.equal(full.gaps, 0);
    assert.equal(top10.gaps, 0);
    assert.ok(full.verified >= pub.published / 2, `${full.verified} verified`);
    assert.equal(full.book!.bids.size, pub.model.book.bids.length);
    const resumed = await readMetric(g.httpUrl, 'ws_resumes_total', { result: 'recovered' });
    assert.ok(resumed >= 8, `${resumed} recovered resumes`);
  } finally {
    stopDocsClient(full);
    stopDocsClient(top10);
    await g.stop();
  }
});

test('malformed, mis-summed and crossed book input: counted, and clients still verify every message', async () => {
  const g = await startTestGateway();
  const { followBook } = await loadDocsClient();
  const client = followBook([g.url], 'book.ETH');
  try {
    const pub = new TestBookPublisher(g.broker, 'book.ETH', 2580.5);
    await pub.publish(10);
    // Straight into the broker (not through the API): refused by the fold, sent on as an empty update.
    await g.broker.publish('book.ETH', { kind: 'update', bids: [['1e5', '1']] });
    await g.broker.publish('book.ETH', { kind: 'update', asks: [['2600.0', '-1']] });
    await g.broker.publish('book.ETH', { kind: 'delta' });
    // A publisher checksum that does not match the stream's book.
    const best = pub.model.book.bids[0]!;
    await g.broker.publish('book.ETH', { kind: 'update', bids: [[best[0], '9.00000000']], checksum: 12345 });
    pub.model.book.apply('bids', [best[0], '9.00000000']);
    // A bid above the best ask: crossed.
    const ask = pub.model.book.asks[0]!;
    await g.broker.publish('book.ETH', { kind: 'update', bids: [[ask[0], '1.00000000']] });
    pub.model.book.apply('bids', [ask[0], '1.00000000']);
    await pub.publish(10);
    const top = (await g.gateway.books.startFor('book.ETH', undefined, 10)).positionSeq;
    await waitUntil(() => client.seq === top, 10_000, 'client at the newest position');
    assert.equal(client.mismatches, 0);
    assert.equal(client.gaps, 0);
    assert.equal(await readMetric(g.httpUrl, 'ws_book_messages_refused_total', { reason: 'invalid_decimal' }), 1);
    assert.equal(await readMetric(g.httpUrl, 'ws_book_messages_refused_total', { reason: 'negative_qty' }), 1);
    assert.equal(await readMetric(g.httpUrl, 'ws_book_messages_refused_total', { reason: 'unknown_kind' }), 1);
    assert.equal(await readMetric(g.httpUrl, 'ws_book_checksum_mismatches_total'), 1);
    assert.ok((await readMetric(g.httpUrl, 'ws_book_crossed_total')) >= 1);
    assert.ok((await readMetric(g.httpUrl, 'ws_book_snapshot_requests_total')) >= 1);
    // Nothing malformed went out: every message a client can get is a valid book message.
    const c = await TestClient.connect(g.url);
    await c.subscribe([{ channel: 'book.ETH', since: { seq: 0, epoch: g.broker.epoch() } }]);
    for (const m of c.dataOn('book.ETH')) {
      const d = m.data as BookWire;
      assert.ok(d.kind === 'snapshot' || d.kind === 'update');
      for (const [p, q] of [...d.bids, ...d.asks]) assert.match(p + ' ' + q, /^[0-9.]+ [0-9.]+$/);
      assert.equal(typeof d.checksum, 'number');
    }
    c.close();
  } finally {
    stopDocsClient(client);
    await g.stop();
  }
});
