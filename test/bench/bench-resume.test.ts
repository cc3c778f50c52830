// odin bench's resume course (issue 20): backlogs of several sizes, over NATS
// (file storage) and on the memory broker, each replay checked by seq, with
// p50/p99 per size in the JSON and the text report. Tiny sizes here (100 and
// 1,000 messages); the full run measures 1k, 10k and 100k (BENCHMARKS.md).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { bench } from './bench-cli.js';
import { benchPlan, RESUME_SCENARIO } from '../../src/bench/bench-plan.js';
import { roundTimeoutMs } from '../../src/bench/resume-latency.js';

it('the full plan measures 1k, 10k and 100k backlogs; the course runs when named or when no scenario is; a round waits longer for a larger backlog', () => {
  const timing = { workers: 1, sampleEvery: 1 };
  assert.deepEqual(benchPlan('full', { ...timing, scenarios: [RESUME_SCENARIO.full] }).resume?.sizes.map((s) => s.missed), [1000, 10_000, 100_000]);
  assert.deepEqual(benchPlan('full', { ...timing, scenarios: [RESUME_SCENARIO.full] }).scenarios, [], 'only the resume course');
  assert.ok(benchPlan('full', timing).resume, 'a whole run includes it');
  assert.equal(benchPlan('full', { ...timing, scenarios: ['idle'] }).resume, undefined);
  assert.ok(roundTimeoutMs(100_000) > roundTimeoutMs(10_000) && roundTimeoutMs(10_000) > roundTimeoutMs(1000));
  assert.ok(roundTimeoutMs(100_000) >= 20_000);
});

it('odin bench --tiny --scenarios tiny-resume --systems odin reports p50 and p99 for each backlog size, over NATS and on the memory broker', { timeout: 180_000 }, async () => {
  const { result, err } = await bench(['--tiny', '--scenarios', 'tiny-resume', '--systems', 'odin']);
  const courses = result.resume?.courses ?? [];
  assert.deepEqual(courses.map((c) => `${c.broker}/${c.missed}`), ['nats/100', 'nats/1000', 'memory/100', 'memory/1000']);
  for (const c of courses) {
    assert.equal(c.runs.length, 1);
    assert.equal(c.runs[0]!.count, c.rounds, `${c.broker}/${c.missed}: every round completed, each replay checked by seq`);
    assert.ok(c.p50Median! > 0 && c.p99Median! >= c.p50Median!, `${c.broker}/${c.missed}: p50 ${c.p50Median}, p99 ${c.p99Median}`);
  }
  assert.equal(result.rows.length, 0, 'no other scenario ran');
  assert.match(err, /\| NATS \(file\) \| 1,000 +\| 3 x 1 +\|/);
  assert.match(err, /\| memory +\| 100 +\| 3 x 1 +\|/);
  assert.match(err, /resume of 1000 missed messages \(nats\): p50 [\d.]+ ms/);
});
