// Finding 9: every response carries nosniff, the demo page cannot be framed
// and has a content security policy, and liveness is apart from readiness so
// that a full instance is not restarted by a liveness probe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import WebSocket from 'ws';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { Bystander, publishContinuously, rawSocket } from './bystander.js';

/** The raw response head of an upgrade request that is refused. */
function refusedUpgradeHead(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', path: '/ws', headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' } });
    req.on('response', (res) => {
      resolve(`${res.statusCode} nosniff=${res.headers['x-content-type-options']}`);
      res.resume();
    });
    req.on('upgrade', () => reject(new Error('upgrade was accepted')));
    req.on('error', reject);
    req.end();
  });
}

test('nosniff everywhere, frame and CSP headers on the page, /livez and /readyz apart, a bystander keeps receiving', async () => {
  const h = await startTestGateway({ maxConnections: 2 });
  const publisher = publishContinuously(h.broker);
  const bystander = await Bystander.join(h.url);
  try {
    for (const path of ['/', '/health', '/livez', '/readyz', '/metrics', '/ws', '/sdk/odin-client.js', '/no-such-file']) {
      const res = await fetch(`${h.httpUrl}${path}`);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `${path}: no nosniff`);
    }
    const post = await fetch(`${h.httpUrl}/health`, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('x-content-type-options'), 'nosniff', '405 without nosniff');

    const page = await fetch(`${h.httpUrl}/`);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /script-src 'self'/);

    // Malformed HTTP is answered (400, nosniff) and counted.
    const bad = await rawSocket(h.port);
    const answer = await new Promise<string>((resolve) => {
      let got = '';
      bad.on('data', (d: Buffer) => (got += d.toString()));
      bad.on('close', () => resolve(got));
      bad.write('NOT HTTP AT ALL\r\n\r\n');
    });
    assert.match(answer, /^HTTP\/1\.1 400/);
    assert.match(answer, /X-Content-Type-Options: nosniff/i);

    // At capacity: /health says unhealthy (the reference's shape), /readyz 503, /livez still 200.
    const filler = new WebSocket(h.url);
    await new Promise((resolve, reject) => filler.once('open', resolve).once('error', reject));
    assert.equal(await refusedUpgradeHead(h.port), '503 nosniff=nosniff');
    assert.equal((await fetch(`${h.httpUrl}/health`)).status, 503);
    const ready = await fetch(`${h.httpUrl}/readyz`);
    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json(), { ready: false, reasons: ['at_capacity'] });
    const live = await fetch(`${h.httpUrl}/livez`);
    assert.equal(live.status, 200);
    assert.equal(((await live.json()) as { status: string }).status, 'alive');
    filler.close();
    await new Promise((r) => filler.once('close', r));
    await bystander.client.waitFor(() => h.gateway.connections.size === 1, 5000, 'filler gone');
    assert.equal((await fetch(`${h.httpUrl}/readyz`)).status, 200);

    const text = await fetchMetrics(h.httpUrl);
    assert.equal(metricValue(text, 'ws_connections_failed_total', { reason: 'bad_request' }), 1);
    assert.equal(metricValue(text, 'ws_connections_failed_total', { reason: 'capacity' }), 1);
    await bystander.keepsReceiving(20);
    bystander.assertUnharmed('HTTP probing');
  } finally {
    publisher.stop();
    bystander.close();
    await h.stop();
  }
});
