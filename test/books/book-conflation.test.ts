// Book channels under conflation (issue 22): the interval's level changes are
// merged into one update, so a client applying only what it receives keeps a
// book whose checksum verifies at every delivery, and delivered + skipped
// accounts for every message published.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { TestClient } from '../helpers/test-client.js';
import { bookChecksum, CHECKSUM_DEPTH } from '../../src/books/checksum.js';
import { compareDecimal, isZero } from '../../src/books/decimal.js';
import { TestBookPublisher } from './docs-book-client.js';

interface BookWire {
  kind: 'snapshot' | 'update';
  bids: Array<[string, string]>;
  asks: Array<[string, string]>;
  checksum: number;
}

/** A client-side book from what the wire says, as docs/books.md describes it. */
class LocalBook {
  bids = new Map<string, string>();
  asks = new Map<string, string>();
  apply(d: BookWire): void {
    if (d.kind === 'snapshot') {
      this.bids.clear();
      this.asks.clear();
    }
    for (const [side, levels] of [[this.bids, d.bids], [this.asks, d.asks]] as const) {
      for (const [price, qty] of levels) {
        if (isZero(qty)) side.delete(price);
        else side.set(price, qty);
      }
    }
  }
  checksum(): number {
    const asks = [...this.asks].sort((a, b) => compareDecimal(a[0], b[0])).slice(0, CHECKSUM_DEPTH);
    const bids = [...this.bids].sort((a, b) => compareDecimal(b[0], a[0])).slice(0, CHECKSUM_DEPTH);
    return bookChecksum(asks, bids);
  }
}

test('a conflated book subscription gets merged updates whose checksums verify; delivered + skipped = published', { timeout: 60_000 }, async () => {
  const g = await startTestGateway();
  try {
    const pub = new TestBookPublisher(g.broker, 'book.BTC');
    await pub.publish(20);
    const c = await TestClient.connect(g.url);
    const [answer] = await c.subscribe([{ channel: 'book.BTC', conflate: 100 }]);
    assert.equal(answer!.conflate, 100);
    const startSeq = c.dataOn('book.BTC')[0]!.seq;
    // Bursts between yields: each interval holds several updates to merge.
    for (let round = 0; round < 30; round++) {
      await pub.publish(10);
      await new Promise((r) => setImmediate(r));
    }
    const last = pub.lastSeq;
    await c.waitFor(() => c.dataOn('book.BTC').some((m) => m.seq === last), 20_000, 'the newest update, conflated');
    const received = c.dataOn('book.BTC');
    const book = new LocalBook();
    let mismatches = 0;
    let merged = 0;
    for (const m of received) {
      const d = m.data as BookWire;
      book.apply(d);
      if (book.checksum() !== d.checksum) mismatches++;
      const skipped = (m as unknown as { skipped?: number }).skipped ?? 0;
      if (skipped > 0) merged++;
    }
    assert.equal(mismatches, 0, 'every delivery verifies against the book built from deliveries alone');
    assert.ok(merged > 0, `some deliveries stood for several updates (${received.length} deliveries for ${pub.published} messages)`);
    assert.equal(book.checksum(), pub.model.book.checksum(), "the client's book is the publisher's");
    // Accounting: the deliveries after the snapshot stand for every message published after it.
    const after = received.filter((m) => m.seq > startSeq);
    const accounted = after.reduce((n, m) => n + 1 + ((m as unknown as { skipped?: number }).skipped ?? 0), 0);
    assert.equal(accounted, pub.published - 20, 'delivered + skipped = published');
    assert.deepEqual(c.gaps, []);
    c.close();
  } finally {
    await g.stop();
  }
});
