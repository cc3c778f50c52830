// The publisher's control API over real HTTP: a bearer token, JSON bodies only
// (a text/plain POST, which any page can send without a preflight, is 415),
// CORS only for configured origins and 403 for any other Origin, loopback by
// default. (Before: no auth, 0.0.0.0, CORS *, text/plain accepted.)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { publisherConfigFrom } from '../../src/config/publisher-options.js';
import { resolveControlToken } from '../../src/publisher/control-token.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { control, startTestPublisher, TEST_CONTROL_TOKEN, type PublisherHarness } from '../publisher/publisher-fixtures.js';

const ALLOWED = 'http://dashboard.example:8080';

describe('control API authentication', () => {
  let h: PublisherHarness;
  before(async () => {
    h = await startTestPublisher({}, [ALLOWED]);
  });
  after(() => h.stop());

  const post = (headers: Record<string, string>, body = '{"action":"start"}'): Promise<Response> => fetch(`${h.baseUrl}/control`, { method: 'POST', headers, body });

  it('refuses POST /control without the token, or with a wrong one (401), and publishes nothing', async () => {
    const none = await post({ 'content-type': 'application/json' });
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.equal(((await none.json()) as { error: string }).error, 'unauthorized');
    assert.equal((await post({ 'content-type': 'application/json', authorization: 'Bearer wrong-token-wrong-token' })).status, 401);
    assert.equal((await post({ 'content-type': 'application/json', authorization: TEST_CONTROL_TOKEN })).status, 401, 'no scheme');
    assert.equal(h.publisher.service.isPublishing, false);
    // The token in any case of "Bearer" works.
    assert.equal((await post({ 'content-type': 'application/json', authorization: `bearer ${TEST_CONTROL_TOKEN}` })).status, 200);
    assert.equal(h.publisher.service.isPublishing, true);
    assert.equal((await control(h.baseUrl, { action: 'stop' })).status, 200);
  });

  it('answers 415 to a text/plain (or form) body, even with the token', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await post({ 'content-type': type, authorization: `Bearer ${TEST_CONTROL_TOKEN}` });
      assert.equal(res.status, 415, type);
      assert.equal(((await res.json()) as { error: string }).error, 'media_type');
    }
    const charset = await post({ 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${TEST_CONTROL_TOKEN}` }, '{"action":"stop"}');
    assert.equal(charset.status, 200);
  });

  it('gives CORS only to configured origins; any other Origin gets 403 before anything runs', async () => {
    const preflight = await fetch(`${h.baseUrl}/control`, { method: 'OPTIONS', headers: { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' } });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), ALLOWED);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /authorization/);
    const evilPreflight = await fetch(`${h.baseUrl}/control`, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(evilPreflight.status, 403);
    assert.equal(evilPreflight.headers.get('access-control-allow-origin'), null);
    // Even with the right token and JSON, a foreign origin cannot drive it (a page that stole the token, or DNS rebinding).
    const evil = await post({ 'content-type': 'application/json', authorization: `Bearer ${TEST_CONTROL_TOKEN}`, origin: 'http://evil.example' });
    assert.equal(evil.status, 403);
    assert.equal(h.publisher.service.isPublishing, false);
    const stats = await fetch(`${h.baseUrl}/stats`, { headers: { origin: 'http://evil.example' } });
    assert.equal(stats.status, 403);
    const allowed = await post({ 'content-type': 'application/json', authorization: `Bearer ${TEST_CONTROL_TOKEN}`, origin: ALLOWED }, '{"action":"configure","messagesPerSecond":7}');
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers.get('access-control-allow-origin'), ALLOWED);
    // Without an Origin header (curl, Prometheus) nothing changes, and no CORS header is sent.
    const plain = await fetch(`${h.baseUrl}/health`);
    assert.equal(plain.headers.get('access-control-allow-origin'), null);
    const metrics = await fetchMetrics(h.baseUrl);
    assert.ok(metricValue(metrics, 'publisher_control_refused_total', { reason: 'origin' }) >= 3);
    assert.ok(metricValue(metrics, 'publisher_control_refused_total', { reason: 'unauthorized' }) >= 3);
    assert.ok(metricValue(metrics, 'publisher_control_refused_total', { reason: 'media_type' }) >= 3);
  });

  it('bounds what one request may ask for: tokens, users and rates', async () => {
    const cases: unknown[] = [
      { action: 'configure', tokens: Array.from({ length: 101 }, (_, i) => `T${i}`) },
      { action: 'configure', users: Array.from({ length: 101 }, (_, i) => `u${i}`) },
      { action: 'configure', messagesPerSecond: 1e9 },
      { action: 'configure', tradeEventsPerSecond: 1e6 },
    ];
    for (const body of cases) assert.equal((await control(h.baseUrl, body)).status, 400, JSON.stringify(body).slice(0, 60));
  });
});

describe('control API settings', () => {
  it('listens on loopback by default; a token comes from the flag, the variable or a file, else one is made', () => {
    assert.equal(publisherConfigFrom([], {}).host, '127.0.0.1');
    assert.equal(resolveControlToken(publisherConfigFrom([], { CONTROL_TOKEN: 'from-the-environment-123' })).token, 'from-the-environment-123');
    const made = resolveControlToken(publisherConfigFrom([], {}));
    assert.equal(made.generated, true);
    assert.ok(made.token.length >= 32);
    assert.notEqual(resolveControlToken(publisherConfigFrom([], {})).token, made.token);
    assert.throws(() => resolveControlToken(publisherConfigFrom(['--control-token', 'short'], {})), /at least 16/);
    assert.throws(() => publisherConfigFrom(['--control-token', 'x'.repeat(20)], { CONTROL_TOKEN_FILE: '/nonexistent' }), /not both/);
  });
});
