// `odin bench` scale under a low open-file limit: the gateway gets as many
// worker processes as the connections need, and a run capped by
// --scale-workers says which resource stopped it and at what count.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { bench } from './bench-cli.js';

it('odin bench scale: under a low open-file limit, starts as many workers as the connections need, and says what capped it past --scale-workers', { timeout: 240_000 }, async () => {
  // 700 files: each worker takes (700 - 48) * 0.8 = 521 connections, so 1,000 need two workers.
  const fits = await bench(['--tiny', '--scenarios', 'tiny-scale', '--scale-connections', '1000'], 'ulimit -n 700');
  const all = fits.result.rows.find((r) => r.scenario === 'tiny-scale')!;
  assert.equal(all.status, 'ok', all.note);
  assert.equal(all.scale!.serverProcesses, 2);
  assert.equal(all.scale!.complete, 1000, 'every connection got every broadcast');
  assert.equal(all.gaps, 0);
  // 1,500 would need three: with at most two, the run takes 1,042 and names the resource.
  const { result, err } = await bench(['--tiny', '--scenarios', 'tiny-scale', '--scale-connections', '1500', '--scale-workers', '2'], 'ulimit -n 700');
  const row = result.rows.find((r) => r.scenario === 'tiny-scale')!;
  assert.equal(row.status, 'ok', row.note);
  assert.equal(row.scale!.wanted, 1500);
  assert.equal(row.scale!.attempted, 1042);
  assert.equal(row.scale!.complete, row.scale!.attempted, 'every connection it opened got every broadcast');
  assert.equal(row.gaps, 0);
  assert.match(row.note ?? '', /capped at 1042 of 1500 connections: open files: 2 gateway workers .* with 700 files each take at most 1042 connections/);
  assert.match(err, /capped at 1,042 connections/);
});
