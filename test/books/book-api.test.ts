// Books through the server API: POST /api/publish validates book messages
// (INVALID_BOOK before anything is stored) and GET /api/book answers the
// snapshot a subscriber would get, at the same position.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, apiGateway } from '../api/api-fixtures.js';
import { TestClient } from '../helpers/test-client.js';
import { bookChecksum } from '../../src/books/checksum.js';

test('publish book messages through the API, read the book back, refuse bad ones', async () => {
  const g = await apiGateway();
  try {
    assert.equal((await api(g.httpUrl, 'GET', '/api/book?channel=book.SOL')).body.error.code, 'NOT_FOUND');
    const snapshot = { kind: 'snapshot', bids: [['98.70', '1.5'], ['98.75', '2']], asks: [['98.80', '3'], ['98.90', '1']] };
    const published = await api(g.httpUrl, 'POST', '/api/publish', { channel: 'book.SOL', data: snapshot });
    assert.equal(published.status, 200);
    const update = { kind: 'update', bids: [['98.75', '0']], asks: [['98.85', '0.5']], checksum: bookChecksum([['98.80', '3'], ['98.85', '0.5'], ['98.90', '1']], [['98.70', '1.5']]) };
    const second = await api(g.httpUrl, 'POST', '/api/publish', { channel: 'book.SOL', data: update });
    assert.equal(second.status, 200);
    const bad = await api(g.httpUrl, 'POST', '/api/publish', { channel: 'book.SOL', data: { kind: 'update', asks: [['98.85', '-1']] } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'INVALID_BOOK');
    assert.equal(bad.body.error.reason, 'negative_qty');

    const book = await api(g.httpUrl, 'GET', '/api/book?channel=book.SOL&depth=10');
    assert.equal(book.status, 200);
    assert.deepEqual(book.body.book, { kind: 'snapshot', bids: [['98.70', '1.5']], asks: [['98.80', '3'], ['98.85', '0.5'], ['98.90', '1']], checksum: update.checksum });
    assert.equal(book.body.position.seq, second.body.position.seq, 'the refused message was never stored');
    // The same as a subscriber's snapshot.
    const c = await TestClient.connect(g.url);
    await c.subscribe([{ channel: 'book.SOL', depth: 10 }]);
    assert.deepEqual(c.dataOn('book.SOL')[0]!.data, book.body.book);
    c.close();
    assert.equal((await api(g.httpUrl, 'GET', '/api/book?channel=book.SOL&depth=3')).body.error.code, 'INVALID_LIMIT');
    assert.equal((await api(g.httpUrl, 'GET', '/api/book?channel=token.SOL.price')).body.error.code, 'INVALID_CHANNEL');
  } finally {
    await g.stop();
  }
});
