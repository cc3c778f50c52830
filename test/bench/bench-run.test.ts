// A tiny real run of `odin bench` (every system, 20 clients, about 2 s each,
// on one channel and on several channels per client): deliveries are counted
// for every system, nothing is lost, children are gone.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { it } from 'node:test';
import { CLI } from '../helpers/child-process.js';
import type { BenchOutput } from '../../src/bench/bench-suite.js';

it('odin bench --tiny counts deliveries for every system without gaps', { timeout: 180_000 }, async () => {
  const child = spawn(process.execPath, [CLI, 'bench', '--tiny', '--json', '-'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, err);
  const result = JSON.parse(out) as BenchOutput;
  // One channel for all, and clients each subscribed by name to several channels. nats-server is a test
  // prerequisite and socket.io a dev dependency: every system runs here, none is skipped.
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
  assert.ok(result.resume && result.resume.runs[0]!.count === 10, 'resume measured');
  assert.ok(result.ratios.some((q) => q.peer === 'nats-ws'));
  assert.match(err, /Odin bench \(tiny\)/);
});
