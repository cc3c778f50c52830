// The SDK with compression: `ws` (like every browser) offers permessage-deflate
// by default, the gateway sends its batches compressed, and the SDK gets the
// same messages, in order, without a gap.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MemoryBroker } from '../../src/broker/broker-memory.js';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { newClient, PublishLog, Recorder, waitUntil } from './client-fixtures.js';

test('the SDK over ws negotiates permessage-deflate and receives compressed batches in order, no gap', async () => {
  const gw = await startTestGateway();
  const log = new PublishLog(gw.broker as MemoryBroker);
  const client = newClient(gw.url);
  const rec = new Recorder(client);
  const channel = 'token.ZIP.price';
  try {
    await client.connect();
    await client.subscribe(channel, rec.handler).ready;
    for (let round = 0; round < 10; round++) {
      // Ten at once: one batch frame well over the 256-byte minimum, so it goes compressed.
      for (let i = 0; i < 10; i++) log.publish(channel, { type: 'price:update', tokenId: 'ZIP', price: 43_000 + round * 10 + i, volume24h: 1_283_475_102.55 });
      await new Promise((r) => setTimeout(r, 5));
    }
    await waitUntil(() => rec.received.length === 100, 5000, '100 messages');
    assert.deepEqual(rec.seqs(channel), log.of(channel), 'every message, in order');
    assert.deepEqual(rec.gaps, []);
    const metrics = await fetchMetrics(gw.httpUrl);
    const wire = metricValue(metrics, 'ws_bytes_sent_total');
    const plain = metricValue(metrics, 'ws_bytes_sent_uncompressed_total');
    assert.ok(wire < plain * 0.5, `the batches reached the SDK compressed: ${wire} bytes on the wire for ${plain} uncompressed`);
  } finally {
    client.close();
    await gw.stop();
  }
});
