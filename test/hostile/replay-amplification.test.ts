// Issue 10, finding 2: resume requests that ask for large replays must not
// stall the gateway or make it queue without bound: replay goes through the
// connection's byte budget, one replay in flight per connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import type { MemoryBroker } from '../../src/broker/broker-memory.js';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { TestClient } from '../helpers/test-client.js';
import { LiveBystander } from './live-bystander.js';

const BUDGET = 256 * 1024;

test('five 100-entry resume requests from a client that never reads: bounded queue, no stall for a bystander', async () => {
  const h = await startTestGateway({ maxQueueBytes: BUDGET, historySize: 1000 });
  const broker = h.broker as MemoryBroker;
  try {
    const pad = 'x'.repeat(400);
    for (let i = 0; i < 1000; i++) for (let c = 0; c < 100; c++) broker.publishNow(`token.T${c}.price`, { type: 'price:update', pad });
    const since = { seq: 1, epoch: broker.epoch() };
    const bystander = await LiveBystander.start(h.url, broker);
    const attacker = await TestClient.connect(h.url, { maxPayload: 0 });
    (attacker.ws as unknown as { _socket: Socket })._socket.pause();
    const channels = Array.from({ length: 100 }, (_, c) => ({ channel: `token.T${c}.price`, since }));
    for (let r = 0; r < 5; r++) attacker.send({ type: 'subscribe', id: r, channels });
    // ~40 MB of history asked for; sample what the server holds for the attacker.
    const conn = [...h.gateway.connections].at(-1)!;
    let worstQueued = 0;
    const sampler = setInterval(() => (worstQueued = Math.max(worstQueued, conn.queuedBytes)), 5);
    await new Promise((r) => setTimeout(r, 3000));
    clearInterval(sampler);
    console.log(`attacker: worst server-side queue ${worstQueued} bytes (budget ${BUDGET})`);
    // Replay waits for the socket to drain to half the budget before each ~64 KiB frame.
    assert.ok(worstQueued <= BUDGET, `held at most the budget, got ${worstQueued}`);
    await bystander.finish('replay amplification', 3000);
    attacker.ws.terminate();
  } finally {
    await h.stop();
  }
});
