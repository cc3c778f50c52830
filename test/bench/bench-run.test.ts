// Tiny real runs of `odin bench` (20 clients, about 2 s per system):
// deliveries are counted for every system, nothing is lost, compressed bytes
// per delivery are fewer (bench-run-scale.test.ts: the scale course).
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { it } from 'node:test';
import { bench, okRow } from './bench-cli.js';
import type { BenchOutput } from '../../src/bench/bench-suite.js';
import { pinningUnavailable } from '../../src/bench/os-limits.js';

it('odin bench --tiny counts deliveries for every system without gaps', { timeout: 180_000 }, async () => {
  const { result, err } = await bench(['--tiny', '--scenarios', 'tiny,tiny-portfolio']);
  // One channel for all, and clients each subscribed by name to several channels.
  for (const scenario of ['tiny', 'tiny-portfolio']) {
    for (const name of ['odin', 'odin-nats', 'nats-ws', 'ws-loop', 'socketio']) {
      const row = result.rows.find((r) => r.system === name && r.scenario === scenario);
      assert.ok(row, `${name} ran ${scenario}`);
      assert.equal(row.status, 'ok', `${name} ${scenario}: ${row.note ?? ''}`);
      assert.ok((row.fixedDelivered ?? 0) > 0, `${name} ${scenario}: deliveries counted`);
      assert.equal(row.gaps, 0, `${name} ${scenario}: lost messages`);
    }
  }
  for (const r of result.results) assert.equal(r.connections?.ready, 20, `${r.system} connected every client`);
  assert.equal(result.resume, undefined, 'the resume course runs when named (bench-resume.test.ts) or when no scenario is');
  assert.ok(result.ratios.some((q) => q.peer === 'nats-ws'));
  assert.match(err, /Odin bench \(tiny\)/);
});

it('odin bench --tiny: compression and pinned latency, with 0 gaps and fewer bytes compressed', { timeout: 200_000 }, async () => {
  const { result } = await bench(['--tiny', '--scenarios', 'tiny-compression,tiny-pinned']);
  const row = (scenario: string, system: string): BenchOutput['rows'][number] => okRow(result, scenario, system);

  // Compression: the same run, Odin plain and compressed, and ws compressing per connection.
  for (const system of ['odin', 'odin-deflate', 'ws-deflate']) row('tiny-compression', system);
  // Deliveries and bytes over the whole run (a window can come out empty when a busy machine starves the generator).
  const runs = result.results.filter((x) => x.scenario === 'tiny-compression');
  const perDelivery = (system: string): number => {
    const r = runs.find((x) => x.system === system)!;
    assert.ok((r.received ?? 0) > 0 && (r.bytes ?? 0) > 0, `${system}: deliveries counted`);
    return r.bytes! / r.received!;
  };
  assert.ok(perDelivery('odin-deflate') < perDelivery('odin'), `odin-deflate ${perDelivery('odin-deflate')} bytes/delivery < odin ${perDelivery('odin')}`);
  assert.ok(perDelivery('ws-deflate') < perDelivery('odin'), `ws-deflate ${perDelivery('ws-deflate')} bytes/delivery < odin ${perDelivery('odin')}`);
  assert.equal(result.compression.length, 1);
  assert.equal(result.rows.filter((r) => r.scenario === 'tiny-compression').length, 3, 'only the compression systems ran it');

  // Pinned: every classic system, unpinned and (where the machine allows) pinned.
  const canPin = pinningUnavailable() === undefined;
  for (const system of ['odin', 'nats-ws', 'ws-loop', 'socketio']) {
    const r = row('tiny-pinned', system);
    assert.ok((r.fixedDelivered ?? 0) > 0, `${system}: unpinned deliveries`);
    if (canPin) assert.ok((r.pinnedDelivered ?? 0) > 0 && r.pinnedP99 !== undefined, `${system}: pinned measured`);
    else assert.match(r.note ?? '', /not pinned/);
  }
  if (availableParallelism() >= 2 && canPin) {
    const pinned = result.results.find((r) => r.scenario === 'tiny-pinned' && r.system === 'odin')!.pinned!;
    assert.notEqual(pinned.serverCores, pinned.generatorCores);
  }
});
