// The slow-consumers course's plan (who is slow, what each run offers) and
// its verdict and table (bench/slow-consumers.ts), without running anything.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { benchPlan } from '../../src/bench/bench-plan.js';
import { slowConsumersOverRuns, slowConsumersTable } from '../../src/bench/bench-report.js';
import type { SystemResult } from '../../src/bench/bench-scenario.js';
import { slowConsumersPlan, slowConsumersVerdict, type SlowRunResult } from '../../src/bench/slow-consumers.js';

const scenario = benchPlan('full', { workers: 2, sampleEvery: 10, scenarios: ['slow-consumers'] }).scenarios[0]!;

describe('slow-consumers plan', () => {
  it('is in the full run, Odin only, 1,000 clients of which 10% read at a tenth of their rate', () => {
    assert.equal(scenario.name, 'slow-consumers');
    assert.deepEqual(scenario.systems, ['odin']);
    assert.equal(scenario.clients, 1000);
    const [base, conflate, close] = slowConsumersPlan(scenario);
    assert.deepEqual(
      [base!.label, conflate!.label, close!.label],
      ['without slow clients', 'slow clients, conflate', 'slow clients, close'],
    );
    assert.deepEqual([base!.policy, conflate!.policy, close!.policy], ['conflate', 'conflate', 'close']);
    for (const run of [conflate!, close!]) {
      assert.equal(run.plan.length, 1000);
      assert.equal(run.slowClients, 100);
      assert.equal(run.fastClients, 900);
      const slow = run.readPerSec.map((r, i) => [r, i] as const).filter(([r]) => r !== undefined);
      assert.equal(slow.length, 100);
      // Slow readers watch every channel and read a tenth of what those channels publish.
      const perChannelPerSec = run.messagesPerSec / scenario.channels;
      for (const [rate, i] of slow) {
        assert.equal(run.plan[i]!.length, scenario.channels);
        assert.ok(Math.abs(rate! - scenario.channels * perChannelPerSec * 0.1) < 1e-9, `client ${i} reads ${rate}/s`);
      }
      assert.equal(run.slowSubscriptions, 100 * scenario.channels);
    }
    // Without slow clients: exactly the other runs' fast clients, the same rate and the same offered deliveries.
    assert.equal(base!.slowClients, 0);
    assert.equal(base!.plan.length, 900);
    assert.ok(base!.readPerSec.every((r) => r === undefined));
    assert.deepEqual(base!.plan, conflate!.plan.filter((_, i) => conflate!.readPerSec[i] === undefined));
    assert.equal(base!.messagesPerSec, conflate!.messagesPerSec);
    assert.equal(base!.fastOfferedPerSec, conflate!.fastOfferedPerSec);
    // 900 fast clients of one channel each get 90% of the rate offered to 1,000.
    assert.equal(Math.round(base!.fastOfferedPerSec), scenario.fixedDeliveriesPerSec! * 0.9);
  });

  it('has a tiny variant with the same shape', () => {
    const tiny = benchPlan('tiny', { workers: 2, sampleEvery: 1, scenarios: ['tiny-slow-consumers'] }).scenarios[0]!;
    const runs = slowConsumersPlan(tiny);
    assert.equal(runs[1]!.slowClients, 4);
    assert.equal(runs[0]!.plan.length, 36);
  });
});

function run(label: SlowRunResult['label'], p99: number, over: Partial<SlowRunResult> = {}): SlowRunResult {
  const slow = label !== 'without slow clients';
  return {
    label,
    policy: label === 'slow clients, close' ? 'close' : 'conflate',
    fastClients: 900,
    slowClients: slow ? 100 : 0,
    slowSubscriptions: slow ? 1000 : 0,
    fastOfferedPerSec: 45_000,
    fastDeliveredPerSec: 45_000,
    fastLatencyMs: { count: 1000, p50: p99 / 4, p90: p99 / 2, p99, p999: p99, max: p99, mean: p99 / 4 },
    gaps: 0,
    fastCloses: 0,
    slowConnectedAtEnd: slow ? 100 : 0,
    slowConnectedAtEndClientView: slow ? 100 : 0,
    serverSwitched: label === 'slow clients, conflate' ? 1000 : 0,
    serverClosed4000: label === 'slow clients, close' ? 100 : 0,
    slowConflating: 0,
    slowCloses: {},
    slowReceived: 10,
    slowMaxLagMs: 1000,
    ...(slow ? { slowSwitchedAfterMs: 20_000 } : {}),
    rssKiB: { start: 100_000, middle: 104_000, end: 108_000, max: 108_000 },
    ...over,
  };
}

describe('slow-consumers verdict', () => {
  it('holds when the fast p99 is within 1.2x, every slow reader stayed and RSS is flat', () => {
    const v = slowConsumersVerdict([run('without slow clients', 10), run('slow clients, conflate', 12), run('slow clients, close', 30)]);
    assert.deepEqual(v, { p99Ratio: 1.2, p99Holds: true, slowStayConnected: true, rssFlat: true, closeRunClosed4000: true });
  });

  it('fails each target on its own evidence', () => {
    const v = slowConsumersVerdict([
      run('without slow clients', 10),
      run('slow clients, conflate', 12.5, { slowConnectedAtEnd: 99, rssKiB: { start: 100_000, middle: 105_000, end: 111_000, max: 111_000 } }),
      run('slow clients, close', 30, { serverClosed4000: 0 }),
    ]);
    assert.equal(v.p99Ratio, 1.25);
    assert.equal(v.p99Holds, false);
    assert.equal(v.slowStayConnected, false);
    assert.equal(v.rssFlat, false);
    assert.equal(v.closeRunClosed4000, false);
    // A close by the gateway, or one a slow reader saw, is not staying connected.
    assert.equal(slowConsumersVerdict([run('slow clients, conflate', 1, { serverClosed4000: 1 })]).slowStayConnected, false);
    assert.equal(slowConsumersVerdict([run('slow clients, conflate', 1, { slowCloses: { '4000': 1 } })]).slowStayConnected, false);
    // A missing run proves nothing.
    assert.deepEqual(slowConsumersVerdict([]), { p99Holds: false, slowStayConnected: false, rssFlat: false, closeRunClosed4000: false });
  });

  it('prints every run and says which targets hold', () => {
    const runs = [run('without slow clients', 10), run('slow clients, conflate', 13), run('slow clients, close', 30)];
    const result: SystemResult = { system: 'odin', scenario: 'slow-consumers', status: 'ok', slowConsumers: { runs, verdict: slowConsumersVerdict(runs) } };
    const table = slowConsumersTable([result]);
    assert.match(table, /\| slow-consumers \| slow clients, conflate \| 45,000 of 45,000 \| 3\.25 +\| 13\.00 /);
    assert.match(table, /1000 of 1000/);
    assert.match(table, /97\.7 \/ 101\.6 \/ 105\.5/);
    assert.match(table, /1\.30x \(target <= 1\.2x: does NOT hold\)/);
    assert.match(table, /none closed: holds/);
    assert.match(table, /RSS flat \(within 10% of the window's start\): holds/);
    assert.match(table, /closed them with 4000: yes/);
    // One run: no median line.
    assert.doesNotMatch(table, /over \d+ runs/);
  });

  it('with --repeat, judges the p99 target on the ratio of the medians, as every peer ratio of the bench', () => {
    const result = (withoutP99: number, conflateP99: number): SystemResult => {
      const runs = [run('without slow clients', withoutP99), run('slow clients, conflate', conflateP99), run('slow clients, close', 30)];
      return { system: 'odin', scenario: 'slow-consumers', status: 'ok', slowConsumers: { runs, verdict: slowConsumersVerdict(runs) } };
    };
    // The quiet 3-run measurement: one low baseline (4.88 ms) makes that run's own ratio 2.31x; the medians are 11.92 and 11.26 ms.
    const quiet = [result(15.15, 10.74), result(4.88, 11.26), result(11.92, 19.31)];
    const over = slowConsumersOverRuns(quiet)!;
    assert.equal(over.runs, 3);
    assert.equal(over.withoutP99Median, 11.92);
    assert.equal(over.conflateP99Median, 11.26);
    assert.equal(over.p99RatioOfMedians, 0.94);
    assert.deepEqual(over.p99Ratios, [0.71, 2.31, 1.62]);
    assert.match(slowConsumersTable(quiet), /over 3 runs: fast p99 median 11\.26 ms with slow readers \(conflate\) against 11\.92 ms without: 0\.94x \(target <= 1\.2x on the ratio of the medians: holds\); each run's own ratio 0\.71x, 2\.31x, 1\.62x/);
    // Slow readers that do cost the fast clients fail it.
    assert.match(slowConsumersTable([result(10, 13), result(10, 14)]), /over 2 runs: .*: 1\.35x \(target <= 1\.2x on the ratio of the medians: does NOT hold\)/);
    assert.equal(slowConsumersOverRuns([result(10, 13)]), undefined);
  });
});
