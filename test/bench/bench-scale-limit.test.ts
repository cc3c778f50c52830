// `odin bench` scale under a low open-file limit: the gateway gets as many
// worker processes as the connections need, and a run capped by
// --scale-workers says which resource stopped it and at what count.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { bench } from './bench-cli.js';

it('odin bench scale: under a low open-file limit, starts as many workers as the connections need, and says what capped it past --scale-workers', { timeout: 240_000 }, async () => {
  // 700 files: each worker takes (700 - 48) * 0.8 = 521 connections, so 800 need two workers.
  const fits = await bench(['--tiny', '--scenarios', 'tiny-scale', '--scale-connections', '800'], 'ulimit -n 700');
  const all = fits.result.rows.find((r) => r.scenario === 'tiny-scale')!;
  assert.equal(all.status, 'ok', all.note);
  assert.equal(all.scale!.serverProcesses, 2);
  assert.equal(all.scale!.complete, 800, 'every connection got every broadcast');
  assert.equal(all.gaps, 0);
  // 1,500 would need three: with at most two, the run takes 1,042 and names the resource.
  const { result, err } = await bench(['--tiny', '--scenarios', 'tiny-scale', '--scale-connections', '1500', '--scale-workers', '2'], 'ulimit -n 700');
  const row = result.rows.find((r) => r.scenario === 'tiny-scale')!;
  assert.equal(row.status, 'ok', row.note);
  assert.equal(row.scale!.wanted, 1500);
  assert.equal(row.scale!.attempted, 1042);
  // At the very limit a worker may refuse a few upgrades for a moment (503): those that subscribed all got everything.
  assert.ok(row.scale!.subscribed! > 0 && row.scale!.complete! >= row.scale!.subscribed!, `every subscribed connection got every broadcast (${row.scale!.complete} of ${row.scale!.subscribed})`);
  assert.equal(row.gaps, 0);
  assert.match(row.note ?? '', /capped at 1042 of 1500 connections: open files: 2 gateway workers .* with 700 files each take at most 1042 connections/);
  assert.match(err, /capped at 1,042 connections/);
});
