// Keepalive from one shared sweep: silent peers go, quiet healthy clients stay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { TestClient } from '../helpers/test-client.js';

const INTERVAL = 300;

// Sweeps are counted by the pings they send, not timed.
test('a connection that answers nothing is closed at the sweep after its first unanswered ping', async () => {
  const h = await startTestGateway({ pingIntervalMs: INTERVAL });
  try {
    const mute = await TestClient.connect(h.url, { autoPong: false });
    // Generous bound only so that a broken sweep fails rather than hangs.
    const code = await mute.waitClosed(30 * INTERVAL);
    assert.equal(code, 4001);
    // Sweep 1 pings (the connection was alive: it just opened); sweep 2 finds no answer and closes.
    assert.equal(mute.pings, 1, `closed after ${mute.pings} unanswered pings`);
  } finally {
    await h.stop();
  }
});

test('a quiet client that answers pings is never dropped', async () => {
  const h = await startTestGateway({ pingIntervalMs: INTERVAL });
  try {
    const quiet = await TestClient.connect(h.url);
    // Positive marker: five sweeps have passed (each pinged it); a mute client is gone after two.
    await quiet.waitFor(() => quiet.pings >= 5 || quiet.closeCode !== undefined, 30 * INTERVAL, 'five pings');
    assert.equal(quiet.closeCode, undefined);
    assert.equal(h.gateway.connections.size, 1);
    quiet.close();
  } finally {
    await h.stop();
  }
});
