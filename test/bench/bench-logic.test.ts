// The benchmark's own logic: the max-sustained search, medians and ratios,
// the table, the tick reader and the publish pacer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { benchTable } from '../../src/bench/bench-report.js';
import { runScenario, type SystemResult } from '../../src/bench/bench-scenario.js';
import { SystemUnavailableError, type SystemSpec } from '../../src/bench/bench-systems.js';
import type { BenchOutput } from '../../src/bench/bench-suite.js';
import { median, odinRatios, summarizeResults } from '../../src/bench/bench-summary.js';
import { isSustained, MaxSearch } from '../../src/bench/max-search.js';
import { forEachTick, priceTick } from '../../src/bench/price-tick.js';
import { PublishPacer } from '../../src/bench/publish-pacer.js';
import { spawnSync } from 'node:child_process';
import { benchPlan } from '../../src/bench/bench-plan.js';
import { fanout, publishMix, scenarioPlan, windowMs } from '../../src/bench/bench-scenario.js';
import { benchChannels } from '../../src/bench/price-tick.js';
import { audiences, subscriptionPlan, varyingPlan } from '../../src/bench/subscription-plan.js';
import { benchConfigFrom } from '../../src/config/bench-options.js';
import { CLI } from '../helpers/child-process.js';
import { constants, createDeflateRaw, deflateRawSync } from 'node:zlib';
import { inflateFrame, parseDeflateAnswer, StreamInflater } from '../../src/bench/frame-inflater.js';
import { expandCpuList, splitCores } from '../../src/bench/os-limits.js';
import { connectionCapacity } from '../../src/bench/scale-run.js';
import { realisticChannelRate } from '../../src/bench/scale-realistic.js';
import { workersFor } from '../../src/bench/odin-cluster-system.js';
import { compressionRatios } from '../../src/bench/bench-summary.js';
import { nodeHasReusePort } from '../../src/config/gateway-options.js';

/** Drives a search against a system that sustains up to `capacity` deliveries/s. */
function search(capacity: number, start: number, factor: number, refinements: number): MaxSearch {
  const s = new MaxSearch(start, factor, refinements, 1e9);
  for (let offered = s.next(), guard = 0; offered !== undefined && guard < 50; offered = s.next(), guard++) {
    const delivered = Math.min(offered, capacity);
    s.record({ offered, delivered, p99Ms: offered <= capacity ? 5 : 900, closes: 0 });
  }
  return s;
}

describe('max sustained search', () => {
  it('doubles while sustained, then bisects between the last pass and the first failure', () => {
    const s = search(300_000, 50_000, 2, 2);
    assert.deepEqual(
      s.steps.map((x) => [Math.round(x.offered), x.sustained]),
      [
        [50_000, true],
        [100_000, true],
        [200_000, true],
        [400_000, false],
        [282_843, true],
        [336_359, false],
      ],
    );
    assert.equal(Math.round(s.best), 282_843);
  });

  it('steps down when the first rate already fails, and ends at the ceiling', () => {
    const down = search(30_000, 100_000, 4, 0);
    assert.equal(down.steps[1]!.offered, 25_000);
    assert.equal(down.best, 25_000);
    const capped = new MaxSearch(10, 2, 0, 40);
    for (let o = capped.next(); o !== undefined; o = capped.next()) capped.record({ offered: o, delivered: o, p99Ms: 1, closes: 0 });
    assert.deepEqual(capped.steps.map((x) => x.offered), [10, 20, 40]);
  });

  it('calls a step sustained only with >= 95% delivered, p99 <= 200 ms and no closes', () => {
    assert.equal(isSustained({ offered: 100, delivered: 96, p99Ms: 10, closes: 0 }), true);
    assert.equal(isSustained({ offered: 100, delivered: 90, p99Ms: 10, closes: 0 }), false);
    assert.equal(isSustained({ offered: 100, delivered: 100, p99Ms: 250, closes: 0 }), false);
    assert.equal(isSustained({ offered: 100, delivered: 100, p99Ms: 10, closes: 1 }), false);
  });
});

function result(system: string, max: number, p99: number, rss?: number): SystemResult {
  const latencyMs = { count: 1, p50: p99 / 2, p90: p99, p99, p999: p99, max: p99, mean: p99 / 2 };
  return {
    system,
    scenario: 's',
    status: 'ok',
    fixed: { offered: 100, delivered: 100, latencyMs, gaps: 0, closes: 0, serverCpuPercent: 50, generatorUtilization: [0.5], drained: true },
    max: { deliveriesPerSec: max, steps: [] },
    ...(rss !== undefined ? { rss: { beforeKiB: 0, afterKiB: 0, perConnectionKiB: rss } } : {}),
    gaps: 0,
  };
}

describe('medians and ratios', () => {
  it('takes the median of repeated runs', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([]), undefined);
    const rows = summarizeResults([result('odin', 900, 2), result('odin', 1000, 4), result('odin', 1100, 3)]);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.runs, 3);
    assert.equal(rows[0]!.maxDeliveriesPerSec, 1000);
    assert.equal(rows[0]!.p99, 3);
    assert.deepEqual(rows[0]!.spread?.maxDeliveriesPerSec, [900, 1100], 'lowest and highest over the runs');
    assert.deepEqual(rows[0]!.spread?.p99, [2, 4]);
    assert.equal(summarizeResults([result('odin', 900, 2)])[0]!.spread, undefined, 'one run: no spread');
    const table = benchTable({ tool: 'odin bench', mode: 'tiny', startedAt: '', durationSec: 1, machine: { cpus: 2, cpuModel: 'x', node: 'v20', platform: 'linux' }, timing: { primeMs: 0, warmupMs: 0, measureMs: 0, workers: 1, sampleEvery: 1 }, scenarios: [], rows, ratios: [], compression: [], results: [] } satisfies BenchOutput);
    assert.match(table, /Spread over the runs/);
    assert.match(table, /\| s +\| odin +\| 3 +\| 900 - 1,100 +\| 2\.00 - 4\.00 +\|/);
  });

  it('divides Odin by each peer (and peers by Odin where lower is better), skipping other Odin variants', () => {
    const rows = summarizeResults([result('odin', 1000, 2, 4), result('nats-ws', 500, 6, 40), result('ws-loop', 20, 1, 2), result('odin-nats', 800, 3)]);
    const ratios = odinRatios(rows);
    assert.deepEqual(
      ratios.map((r) => [r.peer, r.maxDeliveries, r.p99, r.rssPerConnection]),
      [
        ['nats-ws', 2, 3, 10],
        ['ws-loop', 50, 0.5, 0.5],
      ],
    );
    const table = benchTable({ tool: 'odin bench', mode: 'tiny', startedAt: '', durationSec: 1, machine: { cpus: 2, cpuModel: 'x', node: 'v20', platform: 'linux' }, timing: { primeMs: 0, warmupMs: 0, measureMs: 0, workers: 1, sampleEvery: 1 }, scenarios: [], rows, ratios, compression: [], results: [] } satisfies BenchOutput);
    assert.match(table, /\| s +\| odin +\|/);
    assert.match(table, /2\.00x/);
    assert.match(table, /50\.00x/);
  });

  it('each ratio carries its spread: the lowest and highest ratio taken within one run, pairing Odin and the peer of the same repetition', () => {
    const results = [
      { ...result('odin', 1000, 2), run: 1 },
      { ...result('nats-ws', 500, 6), run: 1 },
      { ...result('odin', 1200, 2), run: 2 },
      { ...result('nats-ws', 200, 4), run: 2 },
      { ...result('odin', 900, 3), run: 3 },
      { ...result('nats-ws', 900, 3), run: 3 },
    ];
    const rows = summarizeResults(results);
    const [natsWs] = odinRatios(rows, 'odin', results);
    assert.equal(natsWs!.maxDeliveries, 2, 'ratio of the medians: 1000 / 500');
    assert.deepEqual(natsWs!.maxDeliveriesSpread, [1, 6], 'per run: 2, 6 and 1');
    assert.deepEqual(natsWs!.p99Spread, [1, 3], 'per run: 3, 2 and 1');
    assert.equal(odinRatios(summarizeResults(results.slice(0, 2)), 'odin', results.slice(0, 2))[0]!.maxDeliveriesSpread, undefined, 'one run: no spread');
    const table = benchTable({ tool: 'odin bench', mode: 'tiny', startedAt: '', durationSec: 1, machine: { cpus: 2, cpuModel: 'x', node: 'v20', platform: 'linux' }, timing: { primeMs: 0, warmupMs: 0, measureMs: 0, workers: 1, sampleEvery: 1 }, scenarios: [], rows, ratios: [natsWs!], compression: [], results } satisfies BenchOutput);
    assert.match(table, /2\.00x \[1\.00-6\.00\]/);
  });
});

describe('systems that cannot start', () => {
  const timing = { primeMs: 0, warmupMs: 0, measureMs: 100, workers: 1, sampleEvery: 1 };
  const scenario = { name: 's', title: 's', clients: 1, channels: 1 };
  const failing = (err: Error): SystemSpec => ({ name: 'peer', description: 'cannot start', kind: 'ws-loop', start: () => Promise.reject(err) });

  it('an unavailable peer (socket.io not installed) is skipped with its reason; any other start error is a failure', async () => {
    const skipped = await runScenario(failing(new SystemUnavailableError('socket.io is not installed')), scenario, timing);
    assert.equal(skipped.status, 'skipped');
    assert.equal(skipped.note, 'socket.io is not installed');
    const failed = await runScenario(failing(new Error('port in use')), scenario, timing);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.note, 'port in use');
  });
});

describe('ticks and pacing', () => {
  it('makes ~200-byte ticks and reads n, token and timestamp back from any framing', () => {
    const tick = priceTick('T0', 7);
    const json = JSON.stringify(tick);
    assert.ok(json.length >= 180 && json.length <= 240, `tick is ${json.length} bytes`);
    const seen: Array<[number, string, number]> = [];
    const odinBatch = `{"type":"message","data":${json}}\n{"type":"message","data":${JSON.stringify(priceTick('T0', 8))}}`;
    forEachTick(odinBatch, (n, token, ts) => seen.push([n, token, ts]));
    forEachTick(`42["tick",${json}]`, (n, token, ts) => seen.push([n, token, ts]));
    assert.deepEqual(seen.map(([n, token]) => [n, token]), [
      [7, 'T0'],
      [8, 'T0'],
      [7, 'T0'],
    ]);
    assert.equal(seen[0]![2], tick.timestamp);
  });

  it('publishes the requested rate round-robin over the channels with per-channel counters', async () => {
    const got: Array<[string, number]> = [];
    const pacer = new PublishPacer((channel, tick) => got.push([channel, tick.n]));
    const started = performance.now();
    pacer.setRate(1000, ['token.A.price', 'token.B.price']);
    // Wait for a positive marker (100 published), however slow the machine is.
    const deadline = Date.now() + 20_000;
    while (got.length < 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const elapsedMs = performance.now() - started;
    pacer.setRate(0, []);
    assert.ok(got.length >= 100, `published ${got.length}`);
    // Never ahead of the clock.
    assert.ok(got.length <= Math.ceil(elapsedMs) + 1, `published ${got.length} in ${elapsedMs.toFixed(0)} ms at 1000/s`);
    assert.deepEqual(got.slice(0, 6).map(([c]) => c), ['token.A.price', 'token.B.price', 'token.A.price', 'token.B.price', 'token.A.price', 'token.B.price'], 'round-robin');
    const a = got.filter(([c]) => c === 'token.A.price').map(([, n]) => n);
    const b = got.filter(([c]) => c === 'token.B.price').map(([, n]) => n);
    assert.ok(Math.abs(a.length - b.length) <= 1, `round-robin: ${a.length} on A, ${b.length} on B`);
    assert.deepEqual(a, a.map((_, i) => i + 1), 'per-channel n is contiguous');
    assert.deepEqual(b, b.map((_, i) => i + 1), 'per-channel n is contiguous');
  });
});

describe('bench options', () => {
  it('validates system names', () => {
    assert.deepEqual(benchConfigFrom(['--systems', 'odin,nats-ws'], {}).systems, ['odin', 'nats-ws']);
    assert.throws(() => benchConfigFrom(['--systems', 'kafka'], {}), /unknown system "kafka"/);
  });

  it('picks scenarios by name and refuses a name the mode does not have, naming the valid ones', () => {
    const timing = { workers: 1, sampleEvery: 1 };
    assert.deepEqual(benchPlan('full', { ...timing, scenarios: ['idle'] }).scenarios.map((s) => s.name), ['idle']);
    assert.throws(() => benchPlan('full', { ...timing, scenarios: ['idle', 'nope'] }), /unknown scenario "nope" in full mode; one of one-channel, fifty-channels, portfolio, compression, pinned, idle, scale/);
    assert.throws(() => benchPlan('quick', { ...timing, scenarios: ['fifty-channels'] }), /unknown scenario "fifty-channels" in quick mode; one of one-channel, idle/);
  });

  it('CLI: an unknown scenario or system exits 2 before running anything, and help states each default once', () => {
    const scenario = spawnSync(process.execPath, [CLI, 'bench', '--tiny', '--scenarios', 'nope'], { encoding: 'utf8' });
    assert.equal(scenario.status, 2, scenario.stderr);
    assert.match(scenario.stderr, /unknown scenario "nope" in tiny mode; one of tiny, tiny-portfolio, tiny-compression, tiny-pinned, tiny-scale/);
    assert.doesNotMatch(scenario.stderr, /\[run 1/, 'nothing ran');
    const system = spawnSync(process.execPath, [CLI, 'bench', '--tiny', '--systems', 'odin,kafka'], { encoding: 'utf8' });
    assert.equal(system.status, 2, system.stderr);
    assert.match(system.stderr, /unknown system "kafka"; one of odin, odin-deflate, odin-nats, odin-cluster, odin-cluster-reuseport, nats-ws, ws-loop, ws-deflate, socketio/);
    for (const command of ['bench', 'load']) {
      const help = spawnSync(process.execPath, [CLI, command, '--help'], { encoding: 'utf8' });
      assert.equal(help.status, 0, help.stderr);
      const options = help.stdout.split('\n').filter((l) => l.startsWith('  --'));
      assert.ok(options.length > 5, help.stdout);
      for (const line of options) assert.equal(line.split('[default:').length, 2, `one default per option: ${line}`);
      assert.doesNotMatch(help.stdout, /\[default: \]/);
    }
    assert.match(spawnSync(process.execPath, [CLI, 'bench', '--help'], { encoding: 'utf8' }).stdout, /Scenarios: one-channel, fifty-channels, portfolio, compression, pinned, idle, scale, slow-consumers, books, resume \(full run\)/);
  });
});

describe('subscription plans', () => {
  it('portfolio: 2,000 clients with 10 distinct channels each, skewed toward a few popular channels, the same plan every time', () => {
    const scenario = benchPlan('full', { workers: 1, sampleEvery: 1, scenarios: ['portfolio'] }).scenarios[0]!;
    const plan = scenarioPlan(scenario);
    const channels = benchChannels(50);
    assert.equal(plan.length, 2000);
    for (const client of plan) {
      assert.equal(client.length, 10);
      assert.equal(new Set(client).size, 10, `distinct: ${client.join(',')}`);
      for (const c of client) assert.ok(channels.includes(c), c);
    }
    const sorted = audiences(plan, channels).sort((a, b) => b - a);
    assert.equal(sorted.reduce((a, b) => a + b, 0), 20_000);
    // Uniform would give every channel ~400 subscribers; skewed: a few on most lists, most on few.
    assert.ok(sorted[0]! > 1500, `most popular channel on ${sorted[0]} lists`);
    assert.ok(sorted[49]! < 250, `least popular channel on ${sorted[49]} lists`);
    assert.ok(sorted.slice(0, 5).reduce((a, b) => a + b, 0) > 0.25 * 20_000, `top 5 channels: ${sorted.slice(0, 5).join(', ')}`);
    assert.ok(sorted[25]! < 400, `the median channel is below the uniform audience: ${sorted[25]}`);
    assert.deepEqual(scenarioPlan(scenario), plan, 'seeded: every system gets the same plan');
    assert.equal(fanout(scenario), 400, 'deliveries per published message: 20,000 subscriptions over 50 channels');
  });

  it('corrects the offered deliveries of a window by which channels were published in it', () => {
    // Audiences 300 and 100 (mean 200): a window that published the popular channel more offered more.
    assert.equal(publishMix([5, 5], [300, 100]), 1);
    assert.equal(publishMix([3, 1], [300, 100]), 1.25);
    assert.equal(publishMix([0, 4], [300, 100]), 0.5);
    assert.equal(publishMix([0, 0], [300, 100]), 1, 'nothing published: the nominal rate stands');
    assert.equal(publishMix([7, 2, 9], [40, 40, 40]), 1, 'equal audiences: always nominal');
  });

  it('lengthens the window at low rates with unequal audiences to hold ten round-robin cycles, up to 10 s', () => {
    const timing = { primeMs: 0, warmupMs: 0, measureMs: 2000, workers: 1, sampleEvery: 1 };
    assert.equal(windowMs(timing, 500, 50, true), 2000, '500 msg/s over 50 channels: 20 cycles in 2 s already');
    assert.equal(windowMs(timing, 125, 50, true), 4000);
    assert.equal(windowMs(timing, 10, 50, true), 10_000, 'capped');
    assert.equal(windowMs(timing, 10, 50, false), 2000, 'equal audiences: the window as configured');
  });

  it('one channel per client stays round-robin with equal audiences', () => {
    const channels = benchChannels(5);
    const plan = subscriptionPlan({ clients: 20, channels, perClient: 1, skew: 0 });
    assert.deepEqual(plan.slice(0, 6), [['token.T0.price'], ['token.T1.price'], ['token.T2.price'], ['token.T3.price'], ['token.T4.price'], ['token.T0.price']]);
    assert.deepEqual(audiences(plan, channels), [4, 4, 4, 4, 4]);
    assert.throws(() => subscriptionPlan({ clients: 1, channels, perClient: 6, skew: 1 }), /1 to 5 channels/);
  });

  it('watch lists of 1 to 10 channels: every length occurs, no channel twice in a list, the same plan every run', () => {
    const channels = benchChannels(1000);
    const plan = varyingPlan({ clients: 2000, channels, min: 1, max: 10 });
    const lengths = new Set(plan.map((l) => l.length));
    assert.deepEqual([...lengths].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const list of plan) assert.equal(new Set(list).size, list.length);
    const mean = plan.reduce((n, l) => n + l.length, 0) / plan.length;
    assert.ok(mean > 5 && mean < 6, `mean watch list ${mean}`);
    assert.deepEqual(varyingPlan({ clients: 2000, channels, min: 1, max: 10 }), plan);
    assert.throws(() => varyingPlan({ clients: 1, channels: benchChannels(5), min: 1, max: 10 }), /1 to 5 channels/);
  });
});

/** Deflates messages one after another in one stream (context takeover, as ws does per connection), each ending in a sync flush without its 00 00 ff ff. */
async function deflateStream(messages: readonly string[]): Promise<Buffer[]> {
  const deflate = createDeflateRaw();
  const chunks: Buffer[] = [];
  deflate.on('data', (c: Buffer) => chunks.push(c));
  const out: Buffer[] = [];
  for (const m of messages) {
    deflate.write(Buffer.from(m));
    await new Promise<void>((resolve) => deflate.flush(constants.Z_SYNC_FLUSH, () => resolve()));
    const frame = Buffer.concat(chunks.splice(0));
    out.push(frame.subarray(0, frame.length - 4));
  }
  deflate.close();
  return out;
}

describe('permessage-deflate in the load generator', () => {
  const ticks = Array.from({ length: 40 }, (_, i) => JSON.stringify({ type: 'message', channel: 'token.T0.price', data: priceTick('T0', i + 1) }));

  it('inflates frames deflated one by one (Odin: no context takeover) to exactly the text sent', () => {
    for (const text of ticks) {
      const deflated = deflateRawSync(Buffer.from(text), { finishFlush: constants.Z_SYNC_FLUSH });
      assert.equal(inflateFrame(deflated.subarray(0, deflated.length - 4)).toString(), text);
    }
  });

  it('inflates a per-connection stream (context takeover: later frames refer back into earlier messages) to exactly the text sent, in order', async () => {
    const messages = Array.from({ length: 200 }, (_, i) => ticks[i % ticks.length]!);
    const frames = await deflateStream(messages);
    assert.ok(frames[5]!.length < 40, `later frames are back-references: ${frames[5]!.length} bytes`);
    // Without the earlier messages the same frame cannot be read: the stream is what makes it work.
    assert.throws(() => inflateFrame(frames[5]!));
    const errors: Error[] = [];
    const inflater = new StreamInflater((err) => errors.push(err));
    const texts: string[] = [];
    await new Promise<void>((resolve) => {
      // All queued at once, as frames arrive from a socket.
      frames.forEach((f, i) =>
        inflater.inflate(f, (text) => {
          texts.push(text.toString());
          if (i === frames.length - 1) resolve();
        }),
      );
    });
    inflater.close();
    assert.deepEqual(errors, []);
    assert.deepEqual(texts, messages);
  });

  it("reads the server's answer: deflate or not, context takeover or not", () => {
    assert.deepEqual(parseDeflateAnswer('HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover'), { deflate: true, serverContextTakeover: false });
    assert.deepEqual(parseDeflateAnswer('HTTP/1.1 101 Switching Protocols\r\nsec-websocket-extensions: permessage-deflate; client_max_window_bits=15'), { deflate: true, serverContextTakeover: true });
    assert.deepEqual(parseDeflateAnswer('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket'), { deflate: false, serverContextTakeover: false });
  });

  it('states the compression ratios from the rows of one run', () => {
    const row = (system: string, bytes: number, max: number): ReturnType<typeof summarizeResults>[number] => ({ scenario: 'compression', system, runs: 1, status: 'ok', bytesPerDelivery: bytes, bytesPerDeliveryAtMax: bytes / 2, maxDeliveriesPerSec: max, gaps: 0 });
    assert.deepEqual(compressionRatios([row('odin', 300, 1000), row('odin-deflate', 100, 900), row('ws-deflate', 30, 90)]), [{ scenario: 'compression', bytesSaved: 3, bytesSavedAtMax: 3, maxVsOdin: 0.9, maxVsWsDeflate: 10 }]);
    assert.deepEqual(compressionRatios([row('odin', 300, 1000)]), [], 'no compressed system, no ratio');
  });
});

describe('machine limits', () => {
  it('splits the CPUs: the first for the server, the rest for the generator', () => {
    assert.deepEqual(expandCpuList('0-2,5'), [0, 1, 2, 5]);
    assert.deepEqual(splitCores('0,1'), { server: '0', generator: '1' });
    assert.deepEqual(splitCores('2-5'), { server: '2', generator: '3,4,5' });
    assert.equal(splitCores('3'), undefined, 'one CPU: nothing to pin apart');
  });

  it('keeps descriptors spare beside the connections a process may hold', () => {
    assert.equal(connectionCapacity({ soft: 20_000, hard: 20_000 }), 19_744);
    assert.equal(connectionCapacity({ soft: 100, hard: 100 }), 0);
    assert.equal(connectionCapacity(undefined), Number.MAX_SAFE_INTEGER);
  });

  it('the scale scenario takes its size from --scale-connections, and only Odin (odin-cluster: workers over NATS) runs it', () => {
    const scale = benchPlan('full', { workers: 1, sampleEvery: 1, scenarios: ['scale'] }).scenarios[0]!;
    assert.equal(scale.clients, 50_000);
    // --reuse-port beside the cluster default, in the same run, where this Node can (22.12+, 23.1+); the tiny course runs the default only.
    assert.deepEqual(scale.systems, nodeHasReusePort() ? ['odin-cluster', 'odin-cluster-reuseport'] : ['odin-cluster']);
    assert.deepEqual(benchPlan('tiny', { workers: 1, sampleEvery: 1, scenarios: ['tiny-scale'] }).scenarios[0]!.systems, ['odin-cluster']);
    assert.equal(benchPlan('full', { workers: 1, sampleEvery: 1, scenarios: ['scale'], scaleConnections: 1234 }).scenarios[0]!.clients, 1234);
    assert.equal(benchPlan('tiny', { workers: 1, sampleEvery: 1, scenarios: ['tiny-scale'] }).scenarios[0]!.clients, 500);
    assert.deepEqual(benchPlan('full', { workers: 1, sampleEvery: 1, scenarios: ['compression'] }).scenarios[0]!.systems, ['odin', 'odin-deflate', 'ws-deflate']);
    assert.throws(() => benchConfigFrom(['--pin', 'always'], {}), /--pin/);
  });

  it('after a stall the pacer publishes what fell due, stamped with when it was due (latency counts the stall)', async () => {
    const got: Array<{ stamped: number; sent: number }> = [];
    const pacer = new PublishPacer((_channel, tick) => got.push({ stamped: tick.timestamp, sent: performance.timeOrigin + performance.now() }));
    pacer.setRate(1000, ['token.A.price']);
    await new Promise((r) => setTimeout(r, 20));
    const stallStart = performance.now();
    while (performance.now() - stallStart < 150) {
      // busy: the pacer's timer cannot run
    }
    const before = got.length;
    await new Promise((r) => setTimeout(r, 30));
    pacer.setRate(0, []);
    const afterStall = got.slice(before);
    assert.ok(afterStall.length >= 140, `the 150 ms stall's messages were published after it (${afterStall.length})`);
    const first = afterStall[0]!;
    assert.ok(first.sent - first.stamped >= 100, `the first owed message is stamped when it fell due, ${(first.sent - first.stamped).toFixed(1)} ms before it left`);
    for (let i = 1; i < got.length; i++) assert.ok(got[i]!.stamped >= got[i - 1]!.stamped, 'stamps never go back');
    for (const g of got) assert.ok(g.stamped <= g.sent + 0.001, 'never stamped in the future');
  });

  it('bursts continue each channel\'s n, so successive broadcasts are checked for gaps', () => {
    const got: number[] = [];
    const pacer = new PublishPacer((_channel, tick) => got.push(tick.n));
    pacer.burst('a', 2);
    pacer.burst('a', 1);
    assert.deepEqual(got, [1, 2, 3]);
  });
});

describe('the scale course sized to the box', () => {
  it('lowers the realistic phase rate so the watch lists ask at most the cap, and keeps 1 msg/s below it', () => {
    // 200,000 clients on 5.5 channels each ask 1.1 million deliveries/s at 1 msg/s.
    assert.equal(realisticChannelRate(1_100_000, 40_000), 40_000 / 1_100_000);
    assert.equal(realisticChannelRate(30_000, 40_000), 1);
    assert.equal(realisticChannelRate(1_100_000, 0), 1, '0 = no cap');
    assert.equal(realisticChannelRate(1_100_000, undefined), 1);
    const plan = benchPlan('full', { workers: 2, sampleEvery: 10, scenarios: ['scale'], scaleRealisticDeliveries: 25_000 });
    assert.equal(plan.scenarios[0]!.scale!.realistic!.maxDeliveriesPerSec, 25_000);
    assert.equal(benchConfigFrom([]).scaleRealisticDeliveries, 40_000);
  });

  it('plans workers with room to spare: the primary does not fill them evenly', () => {
    // 15,961 connections per worker at 20,000 files: 30,000 needs a third worker at 90% fill.
    assert.deepEqual(workersFor(30_000, 64, 20_000), { workers: 3, perWorker: 15_961 });
    assert.equal(workersFor(200_000, 64, 20_000).workers, 14);
    assert.equal(workersFor(200_000, 8, 20_000).workers, 8, 'capped by --scale-workers');
  });
});
