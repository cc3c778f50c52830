// permessage-deflate the encode-once way (issue 13): one batch, compressed
// once, reaches a client that offered deflate as RSV1 frames inflating to
// exactly the stream a plain client gets from the same batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import WebSocket from 'ws';
import type { MemoryBroker } from '../../src/broker/broker-memory.js';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { TestClient } from '../helpers/test-client.js';

const CH = 'token.BTC.price';

/** Counts the compressed messages the ws client library inflates (one call per RSV1 message). */
function countInflatedMessages(): { count: number; restore(): void } {
  const require = createRequire(import.meta.url);
  const wsRoot = dirname(require.resolve('ws'));
  const { prototype } = require(join(wsRoot, 'lib', 'permessage-deflate.js')) as { prototype: { decompress: (...a: unknown[]) => void } };
  const original = prototype.decompress;
  const counter = {
    count: 0,
    restore: () => {
      prototype.decompress = original;
    },
  };
  prototype.decompress = function (this: unknown, ...a: unknown[]) {
    counter.count++;
    return original.apply(this, a);
  };
  return counter;
}

function publishBurst(broker: MemoryBroker, n: number, from: number): void {
  for (let i = 0; i < n; i++) broker.publishNow(CH, { type: 'price:update', tokenId: 'BTC', price: 43000 + (from + i) * 0.5, i: from + i });
}

test('a deflate client gets RSV1 frames that inflate to the same stream a plain client gets from the same batches; bytes counted both ways', async () => {
  const h = await startTestGateway();
  const broker = h.broker as MemoryBroker;
  const inflated = countInflatedMessages();
  try {
    const answer = await new Promise<string>((resolve, reject) => {
      const probe = new WebSocket(h.url, { perMessageDeflate: true });
      probe.on('upgrade', (res) => resolve(String(res.headers['sec-websocket-extensions'])));
      probe.on('open', () => probe.close());
      probe.on('error', reject);
    });
    assert.match(answer, /^permessage-deflate; server_no_context_takeover; client_no_context_takeover/);
    const deflating = await TestClient.connect(h.url, { perMessageDeflate: true });
    const plain = await TestClient.connect(h.url);
    assert.equal(deflating.ws.extensions, 'permessage-deflate');
    assert.equal(plain.ws.extensions, '');
    await deflating.subscribe([CH]);
    await plain.subscribe([CH]);
    for (let round = 0; round < 20; round++) {
      publishBurst(broker, 10, round * 10); // one batch of 10 messages: well above the minimum size
      await new Promise((r) => setTimeout(r, 5));
    }
    publishBurst(broker, 1, 200); // a lone message, under the minimum size, stays uncompressed
    await deflating.waitFor(() => deflating.data.length === 201, 5000, 'all at the deflate client');
    await plain.waitFor(() => plain.data.length === 201, 5000, 'all at the plain client');
    assert.deepEqual(deflating.data, plain.data, 'the same messages, same order');
    assert.deepEqual(deflating.gaps, []);
    assert.equal(inflated.count, 20, 'each batch of 10 arrived as one compressed frame');
    assert.ok(inflated.count < deflating.frames, 'control answers and small frames stay plain');
    const metrics = await fetchMetrics(h.httpUrl);
    const wire = metricValue(metrics, 'ws_bytes_sent_total');
    const uncompressed = metricValue(metrics, 'ws_bytes_sent_uncompressed_total');
    console.log(`compression: ${inflated.count} compressed frames of ${deflating.frames}; batch bytes ${uncompressed} uncompressed, ${wire} on the wire (ratio ${(uncompressed / wire).toFixed(2)} over both clients)`);
    assert.ok(uncompressed > wire * 1.4, `one of two clients compressed, so the wire is well under the plain bytes (${wire} vs ${uncompressed})`);
    deflating.close();
    plain.close();
  } finally {
    inflated.restore();
    await h.stop();
  }
});

test('a client asking for a smaller server window, or any client with --compression off, gets plain frames', async () => {
  const inflated = countInflatedMessages();
  for (const [compression, offer] of [
    ['on', { serverMaxWindowBits: 10 }],
    ['off', true],
  ] as const) {
    const h = await startTestGateway({ compression });
    const broker = h.broker as MemoryBroker;
    try {
      const c = await TestClient.connect(h.url, { perMessageDeflate: offer });
      await c.subscribe([CH]);
      publishBurst(broker, 10, 0);
      await c.waitFor(() => c.data.length === 10, 5000, 'messages');
      assert.equal(inflated.count, 0, `compression ${compression}: no compressed frame`);
      c.close();
    } finally {
      await h.stop();
    }
  }
  inflated.restore();
});

test('compressed client messages are inflated and the server frees each inflate context afterwards (no inflate context held per idle browser)', async () => {
  const require = createRequire(import.meta.url);
  const { prototype } = require(join(dirname(require.resolve('ws')), 'lib', 'permessage-deflate.js')) as {
    prototype: { decompress: (...a: unknown[]) => void };
  };
  const original = prototype.decompress;
  const serverSide = new Set<{ _isServer: boolean; _inflate: unknown }>();
  prototype.decompress = function (this: { _isServer: boolean; _inflate: unknown }, ...a: unknown[]) {
    if (this._isServer) serverSide.add(this);
    return original.apply(this, a);
  };
  const h = await startTestGateway();
  const broker = h.broker as MemoryBroker;
  try {
    // threshold 0: the client compresses every message it sends, as Chromium does.
    const c = await TestClient.connect(h.url, { perMessageDeflate: { threshold: 0 } });
    await c.subscribe([CH]);
    assert.equal(serverSide.size, 1, 'the subscribe arrived compressed and the server inflated it');
    const [deflate] = [...serverSide];
    assert.equal(deflate!._inflate, null, 'inflate context freed after the message');
    await c.subscribe(['token.ETH.price']);
    assert.equal(deflate!._inflate, null, 'freed again after the next one');
    publishBurst(broker, 10, 0);
    await c.waitFor(() => c.data.length === 10, 5000, 'messages after compressed subscribes');
    c.close();
  } finally {
    prototype.decompress = original;
    await h.stop();
  }
});

test('a compressed client frame that inflates past MAX_FRAME_BYTES closes 1009 and is counted; a bystander is untouched', async () => {
  const h = await startTestGateway();
  const broker = h.broker as MemoryBroker;
  try {
    const bystander = await TestClient.connect(h.url, { perMessageDeflate: true });
    await bystander.subscribe([CH]);
    const bomb = await TestClient.connect(h.url, { perMessageDeflate: { threshold: 0 } });
    const text = JSON.stringify({ type: 'heartbeat', pad: 'a'.repeat(200_000) }); // ~200 KB inflated, a few hundred bytes on the wire
    bomb.ws.send(text);
    assert.equal(await bomb.waitClosed(), 1009);
    const metrics = await fetchMetrics(h.httpUrl);
    assert.equal(metricValue(metrics, 'ws_client_errors_total', { code: 'MESSAGE_TOO_BIG' }), 1);
    publishBurst(broker, 3, 0);
    await bystander.waitFor(() => bystander.data.length === 3, 5000, 'bystander still served');
    bystander.close();
  } finally {
    await h.stop();
  }
});
