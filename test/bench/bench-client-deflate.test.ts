// The load generator against real compressing servers: Odin (each batch
// deflated once, the same bytes to every compressing client) and ws with
// per-connection perMessageDeflate. Every message published must be counted
// once per client, by sampled connections (which inflate and read every
// frame) and unsampled ones (which count a shared Odin frame by its bytes,
// and a ws frame as one message, without inflating), with no gap.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ODIN_DEFLATE, WS_DEFLATE, type RunningSystem, type SystemSpec } from '../../src/bench/bench-systems.js';
import { killAllChildren } from '../../src/bench/child-registry.js';
import { ClientPool } from '../../src/bench/client-pool.js';

const CHANNEL = 'token.T0.price';
const CLIENTS = 10;

async function countsEverything(spec: SystemSpec): Promise<void> {
  const system: RunningSystem = await spec.start({});
  let pool: ClientPool | undefined;
  try {
    assert.equal(system.deflate, true);
    // Every other connection sampled: both ways of counting are exercised.
    pool = await ClientPool.open(system, { plan: Array.from({ length: CLIENTS }, () => [CHANNEL]), workers: 1, sampleEvery: 2 });
    assert.equal(pool.ready, CLIENTS, JSON.stringify(pool.errors));
    pool.startMeasuring();
    // A burst (Odin: one batch, one big shared frame), then a steady stream (small frames).
    await system.burst(CHANNEL, 50);
    system.setRate(400, [CHANNEL]);
    await new Promise((r) => setTimeout(r, 400));
    system.setRate(0, [CHANNEL]);
    const published = 50 + ((await system.publishedPerChannel())[0] ?? 0);
    const expected = published * CLIENTS;
    const deadline = Date.now() + 20_000;
    let counts = await pool.counts();
    while (counts.received < expected && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      counts = await pool.counts();
    }
    const m = await pool.stopMeasuring();
    assert.equal(counts.received, expected, `${published} messages x ${CLIENTS} clients`);
    assert.equal(counts.gaps, 0);
    assert.equal(Object.keys(pool.errors).length, 0, JSON.stringify(pool.errors));
    // Compressed: fewer bytes on the wire than the ~300-byte ticks they carry.
    assert.ok(m.bytes > 0 && m.bytes / m.received < 250, `${(m.bytes / m.received).toFixed(1)} bytes per delivery`);
  } finally {
    await pool?.close();
    await system.stop();
  }
}

describe('bench clients negotiating permessage-deflate', { timeout: 120_000 }, () => {
  after(() => killAllChildren());
  it('Odin compressed: every shared compressed frame counted, inflated text continuous', () => countsEverything(ODIN_DEFLATE));
  it('ws per-connection deflate: every frame counted, each stream inflated with its own window', () => countsEverything(WS_DEFLATE));
});
