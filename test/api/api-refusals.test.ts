// Every refusal of the server API has its status and stable code, and each is
// counted in ws_api_requests_total. One gateway with the memory broker.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { ApiErrorStatus, type ApiErrorCode } from '../../src/api/api-errors.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { startTestGateway, type GatewayHarness } from '../helpers/gateway-harness.js';
import { api, apiGateway, API_KEY, OTHER_KEY, type Answer } from './api-fixtures.js';

/** Codes this file does not provoke, and why. */
const ELSEWHERE: Partial<Record<ApiErrorCode, string>> = {
  BROKER_UNAVAILABLE: 'test/api/api-nats.test.ts (NATS down); here too, with a closed memory broker',
  HISTORY_UNAVAILABLE: 'test/api/api-nats.test.ts (NATS down)',
  INTERNAL_ERROR: 'an unexpected exception: nothing a request can cause on purpose',
  UNKNOWN_CHANNEL: 'test/gateway/channel-families.test.ts (odin.-prefixed and outside --channel-families, subscribe and publish)',
};

/** Sends a body with chunked encoding (no Content-Length), so the limit is enforced while reading. */
function chunkedPost(base: string, path: string, chunks: string[]): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' } });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: new Headers(res.headers as Record<string, string>), body: JSON.parse(text) }));
    });
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe('server API refusals', () => {
  let gw: GatewayHarness;
  const seen = new Set<string>();
  const refused = async (answer: Promise<Answer>, status: number, code: ApiErrorCode): Promise<Answer> => {
    const res = await answer;
    assert.equal(res.status, status, `${code}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.code, code);
    assert.equal(typeof res.body.error.message, 'string');
    assert.equal(ApiErrorStatus[code], status, `${code} is documented with ${ApiErrorStatus[code]}`);
    seen.add(code);
    return res;
  };

  before(async () => {
    gw = await apiGateway({ apiMaxBodyBytes: 4096, apiMaxMessageBytes: 256, apiMaxBatch: 10 });
  });
  after(async () => gw.stop());

  it('401 UNAUTHORIZED without a key, with an unknown key or another scheme; both configured keys work', async () => {
    const body = { channel: 'a.b', data: 1 };
    const none = await refused(api(gw.httpUrl, 'POST', '/api/publish', body, { key: null }), 401, 'UNAUTHORIZED');
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    await refused(api(gw.httpUrl, 'POST', '/api/publish', body, { key: 'not-a-key-of-this-gateway' }), 401, 'UNAUTHORIZED');
    const basic = fetch(`${gw.httpUrl}/api/channels`, { headers: { authorization: `Basic ${Buffer.from(`x:${API_KEY}`).toString('base64')}` } });
    await refused(basic.then(async (r) => ({ status: r.status, headers: r.headers, body: await r.json() })), 401, 'UNAUTHORIZED');
    // Unknown paths and wrong methods are 401 too without a key: nothing about the API shows.
    await refused(api(gw.httpUrl, 'GET', '/api/nothing-here', undefined, { key: null }), 401, 'UNAUTHORIZED');
    assert.equal((await api(gw.httpUrl, 'POST', '/api/publish', body, { key: API_KEY })).status, 200);
    assert.equal((await api(gw.httpUrl, 'POST', '/api/publish', body, { key: OTHER_KEY })).status, 200);
    const lower = await fetch(`${gw.httpUrl}/api/channels`, { headers: { authorization: `bearer ${API_KEY}` } });
    assert.equal(lower.status, 200, 'the scheme in any case');
  });

  it('404 NOT_FOUND, 405 METHOD_NOT_ALLOWED (with Allow), 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    await refused(api(gw.httpUrl, 'GET', '/api/nothing-here'), 404, 'NOT_FOUND');
    const wrong = await refused(api(gw.httpUrl, 'GET', '/api/publish'), 405, 'METHOD_NOT_ALLOWED');
    assert.equal(wrong.headers.get('allow'), 'POST');
    await refused(api(gw.httpUrl, 'POST', '/api/history', {}), 405, 'METHOD_NOT_ALLOWED');
    await refused(api(gw.httpUrl, 'POST', '/api/publish', undefined, { raw: 'channel=a.b', contentType: 'application/x-www-form-urlencoded' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    await refused(api(gw.httpUrl, 'POST', '/api/disconnect', undefined, { raw: '{"user":"x"}', contentType: 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    // Parameters of the media type are fine.
    assert.equal((await api(gw.httpUrl, 'POST', '/api/publish', { channel: 'a.b', data: 1 }, { contentType: 'application/json; charset=utf-8' })).status, 200);
  });

  it('413 BODY_TOO_LARGE (declared and chunked), MESSAGE_TOO_LARGE, BATCH_TOO_LARGE; the connection survives for the next request', async () => {
    const big = 'x'.repeat(5000);
    await refused(api(gw.httpUrl, 'POST', '/api/publish', { channel: 'a.b', data: big }), 413, 'BODY_TOO_LARGE');
    const chunked = await chunkedPost(gw.httpUrl, '/api/publish', ['{"channel":"a.b","data":"', 'y'.repeat(3000), 'y'.repeat(3000), '"}']);
    assert.equal(chunked.status, 413);
    assert.equal(chunked.body.error.code, 'BODY_TOO_LARGE');
    const tooBig = await refused(api(gw.httpUrl, 'POST', '/api/publish', { channel: 'a.b', data: 'z'.repeat(300) }), 413, 'MESSAGE_TOO_LARGE');
    assert.equal(tooBig.body.error.limit, 256);
    const inBatch = await refused(api(gw.httpUrl, 'POST', '/api/publish', { messages: [{ channel: 'a.b', data: 1 }, { channel: 'a.b', data: 'z'.repeat(300) }] }), 413, 'MESSAGE_TOO_LARGE');
    assert.equal(inBatch.body.error.index, 1, 'the batch message at fault');
    const batch = Array.from({ length: 11 }, () => ({ channel: 'a.b', data: 1 }));
    await refused(api(gw.httpUrl, 'POST', '/api/publish', { messages: batch }), 413, 'BATCH_TOO_LARGE');
    assert.equal((await api(gw.httpUrl, 'POST', '/api/publish', { messages: batch.slice(1) })).status, 200, '10 is allowed');
  });

  it('400 INVALID_JSON, INVALID_REQUEST, INVALID_CHANNEL, INVALID_IDEMPOTENCY_KEY: nothing of a refused batch is published', async () => {
    const before = (await gw.broker.latest('>')).position.seq;
    await refused(api(gw.httpUrl, 'POST', '/api/publish', undefined, { raw: '{"channel":' }), 400, 'INVALID_JSON');
    await refused(api(gw.httpUrl, 'POST', '/api/publish', [1, 2]), 400, 'INVALID_REQUEST');
    await refused(api(gw.httpUrl, 'POST', '/api/publish', { channel: 'a.b' }), 400, 'INVALID_REQUEST');
    const typo = await refused(api(gw.httpUrl, 'POST', '/api/publish', { channel: 'a.b', data: 1, idempotency_key: 'k' }), 400, 'INVALID_REQUEST');
    assert.match(typo.body.error.message, /idempotency_key/);
    await refused(api(gw.httpUrl, 'POST', '/api/publish', { messages: [] }), 400, 'INVALID_REQUEST');
    await refused(api(gw.httpUrl, 'POST', '/api/publish', { messages: [{ channel: 'a.b', data: 1 }], extra: 1 }), 400, 'INVALID_REQUEST');
    await refused(api(gw.httpUrl, 'POST', '/api/publish', { channel: 'bad channel', data: 1 }), 400, 'INVALID_CHANNEL');
    await refused(api(gw.httpUrl, 'POST', '/api/publish', { channel: 'token.*.price', data: 1 }), 400, 'INVALID_CHANNEL');
    await refused(api(gw.httpUrl, 'POST', '/api/publish', { channel: 'a.b', data: 1, idempotencyKey: 'has space' }), 400, 'INVALID_IDEMPOTENCY_KEY');
    await refused(api(gw.httpUrl, 'POST', '/api/publish', { channel: 'a.b', data: 1, idempotencyKey: 'k'.repeat(129) }), 400, 'INVALID_IDEMPOTENCY_KEY');
    const book = await refused(api(gw.httpUrl, 'POST', '/api/publish', { channel: 'book.BTC', data: { kind: 'update', bids: [['1e3', '1']] } }), 400, 'INVALID_BOOK');
    assert.equal(book.body.error.reason, 'invalid_decimal');
    const late = await refused(api(gw.httpUrl, 'POST', '/api/publish', { messages: [{ channel: 'a.ok', data: 1 }, { channel: 'a.>', data: 2 }] }), 400, 'INVALID_CHANNEL');
    assert.equal(late.body.error.index, 1);
    assert.equal((await gw.broker.latest('>')).position.seq, before, 'no refused request published anything');
  });

  it('400 on history, channels and disconnect parameters: INVALID_CHANNEL, INVALID_POSITION, INVALID_LIMIT, INVALID_USER', async () => {
    await refused(api(gw.httpUrl, 'GET', '/api/history'), 400, 'INVALID_CHANNEL');
    await refused(api(gw.httpUrl, 'GET', '/api/history?channel=a..b'), 400, 'INVALID_CHANNEL');
    await refused(api(gw.httpUrl, 'GET', '/api/history?channel=a.b&since=-1'), 400, 'INVALID_POSITION');
    await refused(api(gw.httpUrl, 'GET', '/api/history?channel=a.b&since=1.5'), 400, 'INVALID_POSITION');
    await refused(api(gw.httpUrl, 'GET', '/api/history?channel=a.b&epoch=no%20spaces'), 400, 'INVALID_POSITION');
    await refused(api(gw.httpUrl, 'GET', '/api/history?channel=a.b&limit=0'), 400, 'INVALID_LIMIT');
    await refused(api(gw.httpUrl, 'GET', '/api/history?channel=a.b&limit=1001'), 400, 'INVALID_LIMIT');
    await refused(api(gw.httpUrl, 'GET', '/api/channels?pattern=a.>.b'), 400, 'INVALID_CHANNEL');
    await refused(api(gw.httpUrl, 'POST', '/api/disconnect', { user: '' }), 400, 'INVALID_USER');
    await refused(api(gw.httpUrl, 'POST', '/api/disconnect', { user: 42 }), 400, 'INVALID_USER');
    await refused(api(gw.httpUrl, 'POST', '/api/disconnect', { user: 'x', all: true }), 400, 'INVALID_REQUEST');
  });

  it('every refusal is counted by endpoint and code', async () => {
    const text = await fetchMetrics(gw.httpUrl);
    assert.equal(metricValue(text, 'ws_api_requests_total', { endpoint: 'publish', code: 'INVALID_CHANNEL' }), 3);
    assert.equal(metricValue(text, 'ws_api_requests_total', { endpoint: 'history', code: 'INVALID_LIMIT' }), 2);
    assert.equal(metricValue(text, 'ws_api_requests_total', { endpoint: 'other', code: 'NOT_FOUND' }), 1);
    assert.equal(metricValue(text, 'ws_api_requests_total', { endpoint: 'disconnect', code: 'INVALID_USER' }), 2);
    assert.equal(metricValue(text, 'ws_api_requests_total', { code: 'UNAUTHORIZED' }), 4);
  });

  it('503 BROKER_UNAVAILABLE when the broker cannot store (a closed memory broker)', async () => {
    const g = await apiGateway();
    try {
      await g.broker.close();
      await refused(api(g.httpUrl, 'POST', '/api/publish', { messages: [{ channel: 'a.b', data: 1 }] }), 503, 'BROKER_UNAVAILABLE').then((res) => {
        assert.deepEqual(res.body.error.positions, [null], 'the batch answer says what was stored: nothing');
      });
    } finally {
      await g.stop();
    }
  });

  it('404 API_DISABLED on a gateway without keys, for every path; the rest of the gateway is unchanged', async () => {
    const g = await startTestGateway();
    try {
      await refused(api(g.httpUrl, 'POST', '/api/publish', { channel: 'a.b', data: 1 }), 404, 'API_DISABLED');
      await refused(api(g.httpUrl, 'GET', '/api/openapi.json'), 404, 'API_DISABLED');
      assert.equal((await fetch(`${g.httpUrl}/health`)).status, 200);
    } finally {
      await g.stop();
    }
  });

  it('provoked every code but those tested elsewhere', () => {
    const missing = (Object.keys(ApiErrorStatus) as ApiErrorCode[]).filter((c) => !seen.has(c) && !(c in ELSEWHERE));
    assert.deepEqual(missing, []);
  });
});

describe('server API on its own listener (--api-port)', () => {
  it('serves /api/ on the private listener only; the public port no longer has it', async () => {
    const gw = await apiGateway({ apiPort: 0, apiHost: '127.0.0.1' });
    try {
      const port = gw.gateway.api.port;
      assert.ok(port !== undefined && port !== gw.port);
      const res = await api(`http://127.0.0.1:${port}`, 'POST', '/api/publish', { channel: 'a.b', data: 1 });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const publicGet = await fetch(`${gw.httpUrl}/api/channels`, { headers: { authorization: `Bearer ${API_KEY}` } });
      assert.equal(publicGet.status, 404);
      const publicPost = await api(gw.httpUrl, 'POST', '/api/publish', { channel: 'a.b', data: 1 });
      assert.notEqual(publicPost.status, 200);
      assert.equal((await gw.broker.latest('a.b')).position.seq, res.body.position.seq, 'only the private listener published');
    } finally {
      await gw.stop();
    }
    assert.equal(gw.gateway.api.port, undefined, 'the listener closed with the gateway');
  });
});
