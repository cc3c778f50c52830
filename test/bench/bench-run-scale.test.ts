// A tiny real run of the `odin bench` scale course, in its own file (its own
// time budget): 500 connections to `odin gateway --workers 2` over NATS, each
// broadcast reaches every one, then the realistic phase delivers everything
// the watch lists call for (bench-scale-limit.test.ts: the open-file limit).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { bench, okRow } from './bench-cli.js';
import type { BenchOutput } from '../../src/bench/bench-suite.js';

it('odin bench --tiny scale: every broadcast everywhere, then every delivery of the realistic phase, with 0 gaps', { timeout: 200_000 }, async () => {
  const { result } = await bench(['--tiny', '--scenarios', 'tiny-scale']);
  const row = (scenario: string, system: string): BenchOutput['rows'][number] => okRow(result, scenario, system);

  // Scale: 500 connections subscribed, each broadcast reached every one of them.
  const scale = row('tiny-scale', 'odin-cluster');
  assert.equal(scale.scale!.subscribed, 500);
  assert.equal(scale.scale!.complete, 500, 'every connection got every broadcast message');
  assert.ok((scale.scale!.broadcastDeliveriesPerSec ?? 0) > 0);
  assert.ok((scale.rssPerConnectionKiB ?? 0) > 0);
  const run = result.results.find((r) => r.scenario === 'tiny-scale')!;
  assert.equal(run.scale!.broadcasts, 3);
  assert.equal(run.scale!.gaps, 0);
  assert.equal(result.rows.filter((r) => r.scenario === 'tiny-scale').length, 1, 'scale is one Odin gateway');
  assert.equal(scale.scale!.serverProcesses, 2, 'a gateway of two worker processes (the fewest --workers cluster)');
  // The realistic phase: every delivery the watch lists call for arrived, in order, nobody closed.
  const realistic = run.scale!.realistic!;
  assert.ok(realistic.published > 0 && realistic.expected >= realistic.published, `published ${realistic.published}, expected ${realistic.expected}`);
  assert.equal(realistic.received, realistic.expected, 'every delivery of the realistic phase arrived');
  assert.ok(realistic.channelsPerClient >= 1 && realistic.channelsPerClient <= 10);
  assert.equal(realistic.gaps, 0);
  assert.equal(realistic.closes, 0);
});
