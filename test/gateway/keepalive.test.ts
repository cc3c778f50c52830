// Keepalive from one shared sweep: silent peers go, quiet healthy clients stay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { TestClient } from '../helpers/test-client.js';

const INTERVAL = 300;

test('a connection that answers nothing is closed within two ping intervals', async () => {
  const h = await startTestGateway({ pingIntervalMs: INTERVAL });
  try {
    const mute = await TestClient.connect(h.url, { autoPong: false });
    const start = Date.now();
    const code = await mute.waitClosed(5 * INTERVAL);
    const elapsed = Date.now() - start;
    assert.equal(code, 4001);
    // Closing starts at the second sweep at the latest (plus scheduling slack on a busy machine).
    assert.ok(elapsed <= 3 * INTERVAL + 1500, `closed after ${elapsed} ms`);
  } finally {
    await h.stop();
  }
});

test('a quiet client that answers pings is never dropped', async () => {
  const h = await startTestGateway({ pingIntervalMs: INTERVAL });
  try {
    const quiet = await TestClient.connect(h.url);
    await new Promise((r) => setTimeout(r, 8 * INTERVAL));
    assert.equal(quiet.closeCode, undefined);
    assert.equal(h.gateway.connections.size, 1);
    quiet.close();
  } finally {
    await h.stop();
  }
});
