// Issue 20, finding 10: unbounded or fragile bits.
// - JSON nested 5,000 deep answers a clear refusal (400 INVALID_JSON on the
//   server API, the INVALID_JSON error on a WebSocket), never 500 or a crash.
// - The hub's cache of patterns per channel stays bounded however many
//   distinct channels pass (think trades.user.<id>, or one token channel per listing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MemoryBroker } from '../../src/broker/broker-memory.js';
import { SubscriptionHub } from '../../src/gateway/subscription-hub.js';
import { PATTERN_CACHE_MAX, type PatternCache } from '../../src/gateway/pattern-cache.js';
import { api, apiGateway } from '../api/api-fixtures.js';
import { TestClient } from '../helpers/test-client.js';

const DEPTH = 5000;
const nestedArray = '['.repeat(DEPTH) + ']'.repeat(DEPTH);
const nestedObject = '{"a":'.repeat(DEPTH) + '1' + '}'.repeat(DEPTH);

test('server API: a body nested 5,000 deep answers 400 INVALID_JSON, and the API goes on', async () => {
  const gw = await apiGateway({ apiMaxBodyBytes: 64 * 1024 });
  try {
    for (const raw of [`{"channel":"a.b","data":${nestedArray}}`, `{"channel":"a.b","data":${nestedObject}}`, nestedArray]) {
      const res = await api(gw.httpUrl, 'POST', '/api/publish', undefined, { raw });
      assert.equal(res.status, 400, JSON.stringify(res.body).slice(0, 200));
      assert.equal(res.body.error.code, 'INVALID_JSON');
      assert.match(res.body.error.message, /nested/);
    }
    const ok = await api(gw.httpUrl, 'POST', '/api/publish', { channel: 'a.b', data: { a: { b: { c: [1, [2, [3]]] } } } });
    assert.equal(ok.status, 200, 'ordinary nesting is accepted');
  } finally {
    await gw.stop();
  }
});

test("WebSocket: a frame nested 5,000 deep (within the 16 KiB frame limit) answers the INVALID_JSON error, and the connection is still served", async () => {
  const gw = await apiGateway();
  try {
    const c = await TestClient.connect(gw.url);
    c.send(`{"type":"subscribe","id":1,"channels":[{"channel":"a.b","since":${nestedArray}}]}`);
    c.send(nestedArray);
    await c.waitFor(() => c.ofType('error').length === 2, 5000, 'two errors');
    assert.deepEqual(
      c.ofType('error').map((e) => e.code),
      ['INVALID_JSON', 'INVALID_JSON'],
    );
    const [answer] = await c.subscribe(['token.BTC.price'], 2);
    assert.equal(answer?.channel, 'token.BTC.price', 'served after the refusals');
    c.close();
  } finally {
    await gw.stop();
  }
});

test(`the hub's pattern cache holds at most ${PATTERN_CACHE_MAX} channels while 3x as many distinct channels pass`, async () => {
  const gw = await apiGateway();
  const broker = gw.broker as MemoryBroker;
  try {
    const c = await TestClient.connect(gw.url);
    await c.subscribe(['token.*.price'], 1);
    const channels = PATTERN_CACHE_MAX * 3;
    for (let i = 0; i < channels; i++) broker.publishNow(`token.T${i}.price`, { type: 'price:update', i });
    await c.waitFor(() => c.data.length === channels, 30_000, 'every message delivered');
    const hub = gw.gateway.hub as unknown as { patternCache: PatternCache };
    assert.ok(hub.patternCache.size <= PATTERN_CACHE_MAX, `cache holds ${hub.patternCache.size}`);
    assert.ok(gw.gateway.hub instanceof SubscriptionHub);
    c.close();
  } finally {
    await gw.stop();
  }
});
