// Issue 20, finding 8: the private listeners (--metrics-port, --api-port) are
// guarded like the public port (handshake deadline, pending cap, their own
// small share of the open-file budget), and the metrics listener serves
// metrics and probes only. Before: under `ulimit -n 400`, 390 idle sockets on
// the metrics port left 0 of 20 public clients able to connect and /livez
// hung; the server API answered on the metrics listener.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { fileBudget } from '../../src/gateway/file-limit.js';
import { startOdin } from '../helpers/child-process.js';
import { metricValue } from '../helpers/metrics-reader.js';
import { api, API_KEY, apiGateway } from '../api/api-fixtures.js';
import { allClosed, rawSocket } from './bystander.js';

test('each private listener takes a small share of the open files out of the public one', () => {
  assert.deepEqual(fileBudget(128), { openFiles: 128, maxSockets: 80, maxConnections: 64 }, 'unchanged without private listeners');
  const two = fileBudget(400, 2);
  assert.equal(two.adminSockets, 17, '5% of the 352 after the reserve');
  assert.equal(two.maxSockets, 352 - 2 * 17);
});

test('the metrics listener serves /metrics and the probes, not the server API', async () => {
  const gw = await apiGateway({ metricsPort: 0, metricsHost: '127.0.0.1' });
  try {
    const base = `http://127.0.0.1:${gw.gateway.metricsPort}`;
    assert.equal((await fetch(`${base}/metrics`)).status, 200);
    for (const probe of ['/livez', '/readyz', '/health']) assert.equal((await fetch(`${base}${probe}`)).status, 200, probe);
    const onMetrics = await fetch(`${base}/api/channels`, { headers: { authorization: `Bearer ${API_KEY}` } });
    assert.equal(onMetrics.status, 404, 'no server API on the metrics listener');
    assert.equal((await api(gw.httpUrl, 'GET', '/api/channels')).status, 200, 'still on the public port');
  } finally {
    await gw.stop();
  }
});

test('under ulimit -n 400, 390 idle sockets on the metrics port leave public clients connecting and /livez answering', { timeout: 120_000 }, async () => {
  const odin = startOdin(
    ['dev', '--port', '0', '--host', '127.0.0.1', '--metrics-port', '0', '--control-api', 'false', '--rate', '20', '--tokens', 'BTC', '--trade-rate', '0', '--handshake-timeout-ms', '3000'],
    {},
    { openFiles: 400 },
  );
  const clients: WebSocket[] = [];
  try {
    const started = await odin.waitForEvent('gateway_started');
    const port = started.port as number;
    const metricsPort = started.metrics_port as number;
    const idle = await Promise.all(Array.from({ length: 390 }, () => rawSocket(metricsPort)));

    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: false });
        clients.push(ws);
        return new Promise<string>((resolve) => {
          ws.on('open', () => resolve('open'));
          ws.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
          ws.on('error', (err) => resolve(`error ${err.message}`));
        });
      }),
    );
    assert.deepEqual(outcomes, Array(20).fill('open'), 'every public client connects');
    assert.equal((await fetch(`http://127.0.0.1:${port}/livez`)).status, 200, '/livez on the public port');

    // The metrics listener's own cap dropped most at once, its deadline the rest: then it serves again.
    await allClosed(idle, 30_000, 'idle sockets on the metrics port');
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.ok(metricValue(text, 'ws_connections_failed_total', { reason: 'fd_limit' }) > 0, 'sockets over its share were refused');
    assert.ok(metricValue(text, 'ws_connections_failed_total', { reason: 'handshake_timeout' }) > 0, 'idle ones closed at the deadline');
    assert.equal(odin.child.exitCode, null, `the gateway exited: ${odin.stderr}`);
  } finally {
    for (const ws of clients) ws.terminate();
    odin.kill();
    await odin.exited;
  }
});
