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

test('raw garbage on the TCP socket, before or after the upgrade, never crashes the gateway', async () => {
  const { connect } = await import('node:net');
  const h = await startTestGateway();
  const broker = h.broker as MemoryBroker;
  const timer = setInterval(() => broker.publishNow('token.BTC.price', { type: 'price:update' }), 5);
  const handshake =
    'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
  const send = (bytes: Buffer): Promise<void> =>
    new Promise<void>((resolve) => {
      const socket = connect(h.port, '127.0.0.1', () => socket.write(bytes));
      socket.on('error', () => undefined);
      socket.on('data', () => undefined);
      socket.setTimeout(300, () => socket.destroy());
      socket.on('close', () => resolve());
    });
  try {
    const watcher = await TestClient.connect(h.url);
    await watcher.subscribe(['token.BTC.price']);
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.uint8Array({ minLength: 1, maxLength: 200 }), async (upgraded, garbage) => {
        await send(Buffer.concat([upgraded ? Buffer.from(handshake) : Buffer.alloc(0), Buffer.from(garbage)]));
      }),
      { numRuns: 60 },
    );
    const seen = watcher.dataOn('token.BTC.price').length;
    await watcher.waitFor(() => watcher.dataOn('token.BTC.price').length > seen + 5, 5000, 'the watcher keeps receiving');
    assert.deepEqual(watcher.gaps, []);
    assert.equal((await fetch(`${h.httpUrl}/health`)).status, 200);
    watcher.close();
  } finally {
    clearInterval(timer);
    await h.stop();
  }
});
