// Property-based fuzzing of a live gateway: random and malformed frames never
// crash the process and never disturb another client's stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import WebSocket from 'ws';
import type { MemoryBroker } from '../../src/broker/broker-memory.js';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { TestClient } from '../helpers/test-client.js';

const jsonish = fc.oneof(
  fc.string(),
  fc.json(),
  fc.record({
    type: fc.constantFrom('subscribe', 'unsubscribe', 'ping', 'heartbeat', 'replay', '', 'SUBSCRIBE'),
    id: fc.oneof(fc.integer(), fc.string({ maxLength: 80 }), fc.constant(null), fc.object()),
    channels: fc.oneof(
      fc.array(fc.oneof(fc.string(), fc.constantFrom('token.*.price', '>', 'trades.user.x', 'a.>', '*'), fc.record({ channel: fc.string(), since: fc.anything(), latest: fc.anything() })), { maxLength: 120 }),
      fc.anything(),
    ),
  }).map((o) => JSON.stringify(o)),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
);

test('random and malformed frames never crash the gateway or disturb other clients', async () => {
  const h = await startTestGateway({ rateLimitBurst: 1_000_000, rateLimitPerSec: 1_000_000, abuseBurst: 1_000_000, maxFrameBytes: 4096 });
  const broker = h.broker as MemoryBroker;
  let published = 0;
  const timer = setInterval(() => broker.publishNow('token.BTC.price', { type: 'price:update', i: published++ }), 5);
  try {
    const watcher = await TestClient.connect(h.url);
    await watcher.subscribe(['token.BTC.price']);
    await fc.assert(
      fc.asyncProperty(fc.array(jsonish, { minLength: 1, maxLength: 20 }), fc.boolean(), async (frames, binary) => {
        const ws = new WebSocket(h.url);
        ws.on('error', () => undefined);
        await new Promise<void>((resolve) => {
          ws.once('open', () => resolve());
          ws.once('close', () => resolve());
        });
        for (const f of frames) {
          if (ws.readyState !== WebSocket.OPEN) break;
          ws.send(f, { binary: binary && typeof f !== 'string' });
        }
        // A ping round-trip proves the gateway is still serving this connection (unless it closed it for cause).
        await new Promise<void>((resolve) => {
          if (ws.readyState !== WebSocket.OPEN) return resolve();
          ws.once('close', () => resolve());
          ws.on('message', (d) => {
            if (d.toString().includes('"pong"')) resolve();
          });
          ws.send('{"type":"ping"}');
        });
        ws.terminate();
      }),
      { numRuns: 150 },
    );
    const seen = watcher.dataOn('token.BTC.price').length;
    await watcher.waitFor(() => watcher.dataOn('token.BTC.price').length > seen + 5, 5000, 'the watcher keeps receiving');
    assert.deepEqual(watcher.gaps, []);
    assert.equal(watcher.closeCode, undefined);
    const health = await fetch(`${h.httpUrl}/health`);
    assert.equal(health.status, 200);
    watcher.close();
  } finally {
    clearInterval(timer);
    await h.stop();
  }
});
