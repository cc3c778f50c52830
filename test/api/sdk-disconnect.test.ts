// The SDK and 4004: a user disconnected through the server API is not
// reconnected by the client on its own (docs/protocol.md, close codes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adviseReconnect } from '@odin-gateway/client/internal/reconnect-policy';
import { CloseCode } from '@odin-gateway/client/codes';
import { newClient } from '../client/client-fixtures.js';
import { waitUntil } from '../nats/nats-test-kit.js';
import { api, apiGateway, jwtFor } from './api-fixtures.js';

test('an SDK client kicked with 4004 reports it and stays closed', async () => {
  const gw = await apiGateway();
  const client = newClient(gw.url, { token: () => jwtFor('erin') });
  try {
    const closes: Array<{ code: number; willReconnect: boolean }> = [];
    client.on('close', (c) => closes.push({ code: c.code, willReconnect: c.willReconnect }));
    await client.connect();
    const res = await api(gw.httpUrl, 'POST', '/api/disconnect', { user: 'erin' });
    assert.equal(res.body.closedHere, 1);
    await new Promise<void>((resolve) => client.on('state', (s) => s === 'closed' && resolve()));
    assert.deepEqual(closes, [{ code: CloseCode.DISCONNECTED_BY_SERVER, willReconnect: false }]);
    await waitUntil(() => gw.gateway.connections.size === 0, 5000, 'the server side to close');
  } finally {
    client.close();
    await gw.stop();
  }
});

test('the reconnect policy gives no reconnect for 4004, whatever the attempt', () => {
  for (const attempt of [0, 3]) {
    const advice = adviseReconnect(CloseCode.DISCONNECTED_BY_SERVER, attempt, true);
    assert.equal(advice.reconnect, false);
  }
});
