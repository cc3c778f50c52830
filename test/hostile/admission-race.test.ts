// Finding 6: the connection limit holds while identity is verified. The
// capacity check used to run before the asynchronous JWT verification, so
// 100 concurrent authenticated upgrades with a limit of 20 opened 22.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { Bystander, publishContinuously } from './bystander.js';

const SECRET = 'hostile-test-secret-hostile-test-secret';

test('100 concurrent authenticated upgrades against a limit of 20 open at most 20, and a bystander keeps receiving', async () => {
  const h = await startTestGateway({ maxConnections: 20, jwtSecret: SECRET });
  const publisher = publishContinuously(h.broker);
  const bystander = await Bystander.join(h.url);
  const sockets: WebSocket[] = [];
  try {
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('mallory').setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));
    let peak = 0;
    const outcomes = await Promise.all(
      Array.from({ length: 100 }, () => {
        const ws = new WebSocket(`${h.url}?token=${token}`, { perMessageDeflate: false });
        sockets.push(ws);
        return new Promise<'open' | number>((resolve) => {
          ws.on('open', () => {
            peak = Math.max(peak, h.gateway.connections.size);
            resolve('open');
          });
          ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
          ws.on('error', () => resolve(-1));
        });
      }),
    );
    const opened = outcomes.filter((o) => o === 'open').length;
    const refused = outcomes.filter((o) => o === 503).length;
    console.log(`# 100 authenticated upgrades, limit 20 (bystander holds 1): ${opened} opened, ${refused} refused with 503, peak ${peak} connections`);
    assert.ok(opened <= 19, `${opened} attackers opened beside the bystander: the limit of 20 was passed`);
    assert.equal(opened + refused, 100);
    assert.ok(peak <= 20, `peak of ${peak} connections`);
    const text = await fetchMetrics(h.httpUrl);
    assert.equal(metricValue(text, 'ws_connections_failed_total', { reason: 'capacity' }), refused);
    assert.equal(metricValue(text, 'ws_upgrades_in_progress'), 0);

    await bystander.keepsReceiving(20);
    bystander.assertUnharmed('100 concurrent authenticated upgrades');
  } finally {
    for (const ws of sockets) ws.terminate();
    publisher.stop();
    bystander.close();
    await h.stop();
  }
});
