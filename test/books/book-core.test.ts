// The book's parts on their own: Kraken's documented checksum example, the
// decimal rules, ingest refusals, the fold (depth-limited clients stay exact
// thanks to refills) and the merge conflation uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bookChecksum, checksumDigits } from '../../src/books/checksum.js';
import { compareDecimal, isZero } from '../../src/books/decimal.js';
import { BookRefusal, parseBookData, type BookData, type Level } from '../../src/books/book-message.js';
import { foldBookData } from '../../src/books/book-fold.js';
import { mergeBookMessages } from '../../src/books/book-merge.js';
import { OrderBook } from '../../src/books/order-book.js';
import { KRAKEN_ASKS, KRAKEN_BIDS } from './kraken-vector.js';

// Kraken's WebSocket v2 guide, "Book checksum": the BTC/USD snapshot and its checksum 3310070434 (kraken-vector.ts).

test("Kraken's documented example book gives 3310070434", () => {
  assert.equal(checksumDigits('45285.2'), '452852');
  assert.equal(checksumDigits('0.00100000'), '100000');
  assert.equal(bookChecksum(KRAKEN_ASKS, KRAKEN_BIDS), 3310070434);
  // The same through the fold, from a snapshot listed in any order.
  const book = new OrderBook();
  const out = foldBookData(book, { kind: 'snapshot', bids: [...KRAKEN_BIDS].reverse(), asks: [...KRAKEN_ASKS].reverse() });
  assert.equal(out.checksum, 3310070434);
  assert.deepEqual(out.asks, KRAKEN_ASKS);
  assert.deepEqual(out.bids, KRAKEN_BIDS);
  // One changed digit changes it.
  assert.notEqual(bookChecksum(KRAKEN_ASKS, [['45283.5', '0.10000001'], ...KRAKEN_BIDS.slice(1)]), 3310070434);
});

test('decimals compare by value, never as floats; any spelling of zero is zero', () => {
  assert.ok(compareDecimal('45285.2', '45285.19') > 0);
  assert.ok(compareDecimal('9.5', '10') < 0);
  assert.equal(compareDecimal('045.50', '45.5'), 0);
  assert.ok(compareDecimal('0.10000000000000000001', '0.1') > 0);
  for (const z of ['0', '0.0', '000.00000']) assert.ok(isZero(z), z);
  assert.ok(!isZero('0.00000001'));
});

test('malformed book data is refused with a stable reason', () => {
  const cases: Array<[unknown, BookRefusal]> = [
    [[1, 2], BookRefusal.NOT_AN_OBJECT],
    [{ kind: 'delta', bids: [] }, BookRefusal.UNKNOWN_KIND],
    [{ kind: 'update', buys: [['1', '1']] }, BookRefusal.UNKNOWN_SIDE],
    [{ kind: 'update', bids: [['1']] }, BookRefusal.INVALID_LEVEL],
    [{ kind: 'update', bids: [[1, '1']] }, BookRefusal.INVALID_LEVEL],
    [{ kind: 'update', bids: [['1e3', '1']] }, BookRefusal.INVALID_DECIMAL],
    [{ kind: 'update', asks: [['1.5', 'NaN']] }, BookRefusal.INVALID_DECIMAL],
    [{ kind: 'update', asks: [['1.5', '-2']] }, BookRefusal.NEGATIVE_QTY],
    [{ kind: 'update', asks: [['0.00', '2']] }, BookRefusal.ZERO_PRICE],
    [{ kind: 'snapshot', asks: [['1', '0']] }, BookRefusal.ZERO_QTY_IN_SNAPSHOT],
    [{ kind: 'snapshot', asks: [['1', '1'], ['1', '2']] }, BookRefusal.DUPLICATE_PRICE],
    [{ kind: 'update', bids: Array.from({ length: 1001 }, (_, i) => [String(i + 1), '1']) }, BookRefusal.TOO_MANY_LEVELS],
    [{ kind: 'update', checksum: -1 }, BookRefusal.INVALID_CHECKSUM],
    [{ kind: 'update', checksum: 2 ** 32 }, BookRefusal.INVALID_CHECKSUM],
  ];
  for (const [data, reason] of cases) {
    const r = parseBookData(data);
    assert.equal(r.ok, false, JSON.stringify(data).slice(0, 80));
    if (!r.ok) assert.equal(r.reason, reason, JSON.stringify(data).slice(0, 80));
  }
  const good = parseBookData({ kind: 'update', bids: [['45283.5', '0']], asks: [], checksum: 3310070434 });
  assert.ok(good.ok);
});

test('an update removes a zero level, inserts in order and reports the new checksum', () => {
  const book = new OrderBook();
  foldBookData(book, { kind: 'snapshot', bids: KRAKEN_BIDS, asks: KRAKEN_ASKS });
  const out = foldBookData(book, { kind: 'update', bids: [['45283.5', '0.0'], ['45283.6', '2.5']], asks: [['45285.3', '1']] });
  assert.equal(book.bids[0]![0], '45283.6');
  assert.equal(book.bids[1]![0], '45283.4');
  assert.equal(book.asks[1]![0], '45285.3');
  assert.equal(out.checksum, bookChecksum(book.asks, book.bids));
  assert.equal(out.crossed, false);
  foldBookData(book, { kind: 'update', bids: [['45290.0', '1']], asks: [] });
  assert.equal(book.crossed(), true);
});

/** A random sequence of book messages on prices 1..60 (a snapshot first). */
const priceArb = fc.integer({ min: 1, max: 60 }).map((n) => (n / 2).toFixed(1));
const levelArb = fc.tuple(priceArb, fc.oneof(fc.constant('0'), fc.integer({ min: 1, max: 9 }).map((q) => `0.${q}00`))) as fc.Arbitrary<Level>;
const updateArb = fc.record({ bids: fc.array(levelArb, { maxLength: 6 }), asks: fc.array(levelArb, { maxLength: 6 }) }).map((u): BookData => ({ kind: 'update', ...u }));
const snapshotArb = fc
  .record({ bids: fc.uniqueArray(priceArb, { maxLength: 40 }), asks: fc.uniqueArray(priceArb, { maxLength: 40 }) })
  .map((s): BookData => ({ kind: 'snapshot', bids: s.bids.map((p) => [p, '1.000'] as Level), asks: s.asks.map((p) => [p, '2.000'] as Level) }));

/** What a client does (docs/books.md): apply each level in order, zero removes, then keep only `depth` levels per side. */
function clientApply(book: OrderBook, data: BookData, depth: number): void {
  if (data.kind === 'snapshot') book.replace(data.bids.slice(0, depth), data.asks.slice(0, depth));
  else {
    for (const l of data.bids) book.apply('bids', l);
    for (const l of data.asks) book.apply('asks', l);
  }
  if (book.bids.length > depth) book.bids.length = depth;
  if (book.asks.length > depth) book.asks.length = depth;
}

test('a client holding only the top 10 or 25 levels stays exact and verifies every checksum', () => {
  fc.assert(
    fc.property(snapshotArb, fc.array(updateArb, { minLength: 1, maxLength: 40 }), (snapshot, updates) => {
      const gateway = new OrderBook();
      const first = foldBookData(gateway, snapshot);
      for (const depth of [10, 25]) {
        const client = new OrderBook();
        clientApply(client, { ...first }, depth);
        const replay = new OrderBook();
        foldBookData(replay, snapshot);
        for (const u of updates) {
          const out = foldBookData(replay, u);
          clientApply(client, out, depth);
          assert.equal(bookChecksum(client.asks, client.bids), out.checksum);
          assert.deepEqual(client.bids, replay.bids.slice(0, depth));
          assert.deepEqual(client.asks, replay.asks.slice(0, depth));
        }
      }
    }),
    { numRuns: 200 },
  );
});

test('merged updates (and a snapshot among them) apply as the sequence did, with the last checksum', () => {
  fc.assert(
    fc.property(snapshotArb, fc.array(fc.oneof({ weight: 9, arbitrary: updateArb }, { weight: 1, arbitrary: snapshotArb }), { minLength: 1, maxLength: 20 }), (snapshot, messages) => {
      const gateway = new OrderBook();
      foldBookData(gateway, snapshot);
      const client = new OrderBook();
      client.replace(gateway.bids, gateway.asks);
      const delivered: BookData[] = [];
      for (const m of messages) {
        const out = foldBookData(gateway, m);
        delivered.push({ kind: out.kind, bids: out.bids, asks: out.asks, checksum: out.checksum });
      }
      const merged = mergeBookMessages(delivered);
      for (const depth of [10, 1000]) {
        const c = new OrderBook();
        c.replace(client.bids.slice(0, depth), client.asks.slice(0, depth));
        clientApply(c, merged, depth);
        assert.equal(bookChecksum(c.asks, c.bids), merged.checksum);
        assert.deepEqual(c.bids, gateway.bids.slice(0, depth));
      }
    }),
    { numRuns: 200 },
  );
});
