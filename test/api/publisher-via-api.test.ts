// The simulator publishing through the server API instead of NATS: the
// transport batches concurrent publishes in call order, keeps msgIds as
// idempotency keys, and `odin publisher --via-api` feeds a gateway's clients.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiPublishBroker } from '../../src/publisher/api-publish-broker.js';
import { startOdin } from '../helpers/child-process.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { TestClient } from '../helpers/test-client.js';
import { apiGateway, API_KEY } from './api-fixtures.js';

describe('publishing through the server API', () => {
  it('ApiPublishBroker: 1,200 publishes of one turn go out as batches, stored in call order; a repeated msgId gets the first position', async () => {
    const gw = await apiGateway();
    const broker = new ApiPublishBroker(gw.httpUrl, API_KEY);
    try {
      await broker.start();
      const calls = Array.from({ length: 1200 }, (_, i) => broker.publish(`via.api.c${i % 3}`, { i }, { msgId: `m-${i}` }));
      const positions = await Promise.all(calls);
      for (let i = 1; i < positions.length; i++) assert.ok(positions[i]!.seq > positions[i - 1]!.seq, `in call order at ${i}`);
      const again = await broker.publish('via.api.c0', { i: 'retry' }, { msgId: 'm-0' });
      assert.deepEqual(again, positions[0]);
      const text = await fetchMetrics(gw.httpUrl);
      assert.ok(metricValue(text, 'ws_api_requests_total', { endpoint: 'publish', code: 'OK' }) < 100, 'batched, not one request per message');
      assert.equal(broker.epoch(), positions[0]!.epoch);
    } finally {
      await broker.close();
      await gw.stop();
    }
  });

  it('ApiPublishBroker.start fails on a wrong key', async () => {
    const gw = await apiGateway();
    const broker = new ApiPublishBroker(gw.httpUrl, 'wrong-key-0123456789');
    try {
      await assert.rejects(broker.start(), /UNAUTHORIZED/);
    } finally {
      await broker.close();
      await gw.stop();
    }
  });

  it('odin publisher --via-api feeds the clients of the gateway', { timeout: 60_000 }, async () => {
    const gw = await apiGateway();
    const client = await TestClient.connect(gw.url);
    await client.subscribe(['token.*.price']);
    const publisher = startOdin(['publisher', '--via-api', gw.httpUrl, '--autostart', '--rate', '200', '--port', '0', '--host', '127.0.0.1', '--trade-rate', '0'], {
      ODIN_API_KEY: API_KEY,
      NATS_URL: '',
      LOG_LEVEL: 'info',
    });
    try {
      await client.waitFor(() => client.data.length >= 100, 30_000, '100 ticks through the API');
      assert.deepEqual(client.gaps, []);
      assert.ok(metricValue(await fetchMetrics(gw.httpUrl), 'ws_api_messages_published_total') >= 100);
    } finally {
      publisher.kill('SIGTERM');
      assert.equal(await publisher.exited, 0, publisher.stderr);
      client.ws.terminate();
      await gw.stop();
    }
  });
});
