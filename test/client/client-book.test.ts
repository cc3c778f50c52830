// The SDK's client.book(): a verified local book against a real gateway
// (memory broker, real WebSockets). The checksum in the SDK is its own CRC32
// (no node:zlib: it runs in browsers), so the Kraken vector is checked here
// too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bookChecksum, crc32, LocalBook } from '@odin-gateway/client/book';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { TestBookPublisher } from '../books/docs-book-client.js';
import { KRAKEN_ASKS, KRAKEN_BIDS } from '../books/kraken-vector.js';
import { newClient, waitUntil } from './client-fixtures.js';

test("the SDK's checksum reproduces Kraken's vector and its CRC32 is zlib's", () => {
  assert.equal(bookChecksum(KRAKEN_ASKS, KRAKEN_BIDS), 3310070434);
  for (const text of ['', '452852100000', 'x'.repeat(300)]) assert.equal(crc32(text), zlibCrc32(text) >>> 0);
  const book = new LocalBook(10);
  assert.equal(book.apply({ kind: 'update', bids: [], asks: [], checksum: 0 }), 'unsynced', 'updates before a snapshot are ignored');
  assert.equal(book.apply({ kind: 'snapshot', bids: [...KRAKEN_BIDS].reverse(), asks: KRAKEN_ASKS, checksum: 3310070434 }), 'verified');
  // docs/books.md's update: bid 45283.5 removed, ask 45285.9 added.
  assert.equal(book.apply({ kind: 'update', bids: [['45283.5', '0']], asks: [['45285.9', '0.20000000']], checksum: 2758684305 }), 'verified');
  assert.equal(book.bids[0]![0], '45283.4');
  assert.equal(book.asks.length, 10, 'cut to its depth');
  assert.equal(book.apply({ kind: 'update', bids: [], asks: [], checksum: 1 }), 'mismatch');
  assert.equal(book.synced, false);
});

test('client.book keeps a verified book across drops, resyncs after a mismatch and after recovered:false', { timeout: 90_000 }, async () => {
  const g = await startTestGateway({ historySize: 30 });
  const client = newClient(g.url);
  const pub = new TestBookPublisher(g.broker, 'book.BTC');
  try {
    await pub.publish(40);
    await client.connect();
    const full = client.book('book.BTC');
    const top10 = client.book('book.BTC', { depth: 10 });
    // Two views of one channel: two handlers on one subscription (the first view's depth); each keeps its own depth.
    const caughtUp = (what: string): Promise<void> =>
      waitUntil(() => full.position?.seq === pub.lastSeq && top10.position?.seq === pub.lastSeq, 20_000, what);
    await caughtUp('both views at the newest position');
    assert.ok(full.verified && top10.verified);
    assert.deepEqual(full.bids, pub.model.book.bids, "the full view is the publisher's book");
    assert.deepEqual(top10.asks, pub.model.book.asks.slice(0, 10));
    assert.equal(full.bestBid![0], pub.model.book.bids[0]![0]);
    assert.equal(full.checksum, pub.model.book.checksum());

    // Drops while publishing: resumed (recovered:true), no resync.
    for (let round = 0; round < 3; round++) {
      client.reconnect({ delayMs: 100 });
      await pub.publish(5);
      await waitUntil(() => client.state === 'open', 20_000, 'reconnected');
      await pub.publish(3);
      await caughtUp(`round ${round}: caught up after the drop`);
    }
    assert.equal(full.stats.mismatches + top10.stats.mismatches, 0);
    assert.equal(full.stats.resyncs + top10.stats.resyncs, 0);
    assert.ok(client.stats.recovered > 0, 'resumes replayed what was missed');
    assert.equal(client.stats.gaps, 0);

    // A corrupted local book (a bug or a bit flip): the next message mismatches, the view resubscribes and is verified again.
    const mismatches: number[] = [];
    full.on('mismatch', (m) => mismatches.push(m.seq));
    (full as unknown as { local: LocalBook }).local.bids[0] = ['1', '1.00000000'];
    await pub.publish(2);
    await waitUntil(() => mismatches.length === 1, 20_000, 'the mismatch seen');
    await pub.publish(2);
    await caughtUp('verified again after the resubscribe');
    assert.ok(full.verified);
    assert.equal(full.stats.mismatches, 1);
    assert.equal(full.stats.resyncs, 1);
    assert.deepEqual(full.bids, pub.model.book.bids);

    // Away longer than history holds: recovered:false, then a fresh snapshot.
    client.reconnect({ delayMs: 1500 });
    await waitUntil(() => client.state === 'reconnecting', 5000, 'dropped');
    await pub.publish(60);
    await caughtUp('caught up after a resume that could not recover');
    assert.ok(client.stats.resyncs >= 1, 'the server answered recovered:false');
    assert.ok(full.stats.resyncs >= 2 && top10.stats.resyncs >= 1);
    assert.equal(full.stats.mismatches, 1);
    assert.equal(top10.stats.mismatches, 0);
    assert.ok(full.verified && top10.verified);
    assert.deepEqual(top10.bids, pub.model.book.bids.slice(0, 10));
    full.close();
    top10.close();
  } finally {
    client.close();
    await g.stop();
  }
});
