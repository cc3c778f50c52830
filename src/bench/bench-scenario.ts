// Runs one scenario against one system: start it, connect the clients,
// measure at a fixed rate (also with server and generator pinned to separate
// cores), search the maximum sustained rate, or (idle scenario) measure the
// server's RSS per subscribed connection. The scale scenario has its own
// course (scale-run.ts).
import type { LatencyPercentiles } from '../load/latency-recorder.js';
import { SystemUnavailableError, type RunningSystem, type SystemSpec } from './bench-systems.js';
import { ClientPool, type PoolMeasurement } from './client-pool.js';
import { MaxSearch, type StepResult } from './max-search.js';
import { affinityList, pinningUnavailable, pinProcesses, splitCores } from './os-limits.js';
import { benchBookChannels, benchChannels } from './price-tick.js';
import { cpuSeconds, rssKiB } from './proc-stats.js';
import { runScale, type ScaleResult } from './scale-run.js';
import type { RealisticShape } from './scale-realistic.js';
import { runBooksCourse, type BooksCourseResult } from './books-course.js';
import { runSlowConsumers, type SlowConsumersSettings, type SlowConsumersVerdict, type SlowRunResult } from './slow-consumers.js';
import { audiences, subscriptionPlan } from './subscription-plan.js';

export interface Scenario {
  name: string;
  title: string;
  clients: number;
  channels: number;
  /** Channels each client subscribes to by name (default 1). */
  perClient?: number;
  /** Zipf-like skew of the clients' choice of channels (0 or absent: round-robin, equal audiences). */
  skew?: number;
  /** Deliveries per second for the fixed-rate measurement (absent: none). */
  fixedDeliveriesPerSec?: number;
  maxSearch?: { start: number; factor: number; refinements: number; ceiling: number };
  /** Only connect and measure memory. */
  idle?: boolean;
  /** The systems this scenario runs (absent: Odin and its four classic peers). */
  systems?: readonly string[];
  /** Measure the fixed rate again with the server and the generator pinned to separate cores. */
  pin?: boolean;
  /** The scale course: connect all, RSS, then `broadcasts` messages to every connection, one at a time. */
  scale?: { broadcasts: number; /** Most gateway worker processes to start (default: as many as needed). */ maxWorkers?: number; /** The realistic phase after the broadcasts (scale-realistic.ts). */ realistic?: RealisticShape };
  /** What the channels carry: price ticks (default), or order books (book.T<i>, the server publishing simulated book messages). */
  channelKind?: 'price' | 'book';
  /** The books course (books-course.ts): the scenario run on price channels, then on book channels, then a snapshot's cost. */
  books?: { snapshotRounds: number };
  /** The slow-consumers course (slow-consumers.ts): `fixedDeliveriesPerSec` is the rate with every client reading in full. */
  slowConsumers?: SlowConsumersSettings;
}

export type PinMode = 'auto' | 'off';

export interface Timing {
  /** Once per system, before the first measurement: JIT-compiles the server's and the generator's hot paths. */
  primeMs: number;
  warmupMs: number;
  measureMs: number;
  workers: number;
  sampleEvery: number;
}

export interface RateMeasurement {
  offered: number;
  delivered: number;
  latencyMs: LatencyPercentiles;
  gaps: number;
  closes: number;
  serverCpuPercent: number;
  generatorUtilization: number[];
  drained: boolean;
  /** Bytes read from the clients' sockets per delivery over the window (frames, headers, control traffic). */
  bytesPerDelivery?: number;
}

export interface SystemResult {
  system: string;
  scenario: string;
  /** Which repetition (1-based) of `--repeat` this result is from: ratios pair systems within one run. */
  run?: number;
  status: 'ok' | 'skipped' | 'failed';
  note?: string;
  connections?: { wanted: number; ready: number; failed: number; errors: Record<string, number> };
  fixed?: RateMeasurement;
  max?: { deliveriesPerSec: number; at?: RateMeasurement; steps: Array<StepResult & { sustained: boolean }> };
  rss?: { beforeKiB: number; afterKiB: number; perConnectionKiB: number };
  resume?: LatencyPercentiles;
  /** The fixed rate again, server and generator pinned to separate cores (`pin` scenarios). */
  pinned?: RateMeasurement & { serverCores: string; generatorCores: string };
  scale?: ScaleResult;
  /** Messages missing in a channel's sequence, seen by sampled connections over the whole run (must be 0). */
  gaps?: number;
  /** Connections the server closed during the run (e.g. as too slow). */
  closes?: number;
  /** Deliveries counted over the whole run. */
  received?: number;
  /** Bytes the clients read over the whole run (handshakes included). */
  bytes?: number;
  /** The books course: the same clients on price channels then on book channels, and a snapshot's cost. */
  books?: BooksCourseResult;
  /** The slow-consumers course: its three runs and the verdict on its targets. */
  slowConsumers?: { runs: SlowRunResult[]; verdict: SlowConsumersVerdict };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The scenario's channel names: price ticks, or order books. */
export function scenarioChannels(scenario: Scenario): string[] {
  return scenario.channelKind === 'book' ? benchBookChannels(scenario.channels) : benchChannels(scenario.channels);
}

/** The channels of every client of a scenario: the same plan for every system. */
export function scenarioPlan(scenario: Scenario): string[][] {
  return subscriptionPlan({ clients: scenario.clients, channels: scenarioChannels(scenario), perClient: scenario.perClient ?? 1, skew: scenario.skew ?? 0 });
}

/**
 * Deliveries per published message: subscriptions / channels. The pacer
 * publishes round-robin, every channel equally often, so each message reaches
 * its channel's audience and the audiences add up to every subscription.
 */
export function fanout(scenario: Scenario): number {
  return (scenario.clients * (scenario.perClient ?? 1)) / scenario.channels;
}

/**
 * With unequal audiences (portfolio), the deliveries a window offers depend on
 * which channels the pacer happened to publish in it: a window holding a few
 * round-robin cycles may favour the popular or the unpopular channels. This is
 * the factor to correct the nominal rate by: the mean audience of what was
 * published over the plan's mean audience (1 with equal audiences). The total
 * stays nominal, so a server too busy to run its pacer still shows a shortfall.
 */
export function publishMix(publishedInWindow: readonly number[], audience: readonly number[]): number {
  const count = publishedInWindow.reduce((a, b) => a + b, 0);
  if (count === 0 || audience.length === 0) return 1;
  const reached = publishedInWindow.reduce((sum, n, i) => sum + n * (audience[i] ?? 0), 0);
  const mean = audience.reduce((a, b) => a + b, 0) / audience.length;
  return reached / count / mean;
}

/** Round-robin cycles over the channels a window with unequal audiences must hold at least (see windowMs). */
const MIN_CYCLES_PER_WINDOW = 10;
const MAX_WINDOW_MS = 10_000;

/**
 * The measurement window. With unequal audiences a window of few publishes is
 * noisy even after publishMix: deliveries are counted a latency later than
 * publishes, so a popular channel's message may fall in or out of the window
 * (one is ~4% of a 2 s window at 60 messages/s). Low rates therefore get a
 * window of at least MIN_CYCLES_PER_WINDOW round-robin cycles (at most
 * MAX_WINDOW_MS), so a slow peer is not failed by the count's noise.
 */
export function windowMs(timing: Timing, messagesPerSec: number, channels: number, unequalAudiences: boolean): number {
  if (!unequalAudiences || messagesPerSec <= 0) return timing.measureMs;
  const cyclesMs = ((MIN_CYCLES_PER_WINDOW * channels) / messagesPerSec) * 1000;
  return Math.round(Math.max(timing.measureMs, Math.min(MAX_WINDOW_MS, cyclesMs)));
}

/** The generator's end-of-run counts, which every scenario reports, into the result. */
export async function recordTotals(result: SystemResult, pool: ClientPool): Promise<void> {
  const totals = await pool.counts();
  result.gaps = totals.gaps;
  result.closes = totals.closes;
  result.received = totals.received;
  result.bytes = totals.bytes;
}

export async function measureRate(system: RunningSystem, pool: ClientPool, scenario: Scenario, offered: number, timing: Timing, audience?: readonly number[]): Promise<RateMeasurement> {
  const channels = scenarioChannels(scenario);
  const messagesPerSec = offered / fanout(scenario);
  system.setRate(messagesPerSec, channels);
  await sleep(timing.warmupMs);
  const cpuBefore = cpuSeconds(system.serverPid);
  const started = performance.now();
  pool.startMeasuring();
  const publishedBefore = audience ? await system.publishedPerChannel() : [];
  await sleep(windowMs(timing, messagesPerSec, scenario.channels, audience !== undefined));
  const publishedAfter = audience ? await system.publishedPerChannel() : [];
  const m: PoolMeasurement = await pool.stopMeasuring();
  const seconds = (performance.now() - started) / 1000;
  const mix = audience ? publishMix(publishedAfter.map((n, i) => n - (publishedBefore[i] ?? 0)), audience) : 1;
  const cpu = cpuSeconds(system.serverPid) - cpuBefore;
  system.setRate(0, channels);
  // A system that queues without bound (ws-deflate past its capacity) needs long to empty; its next step must not measure this backlog.
  const drained = await pool.drain(300, 60_000);
  if (m.closes > 0) await pool.waitReady(scenario.clients);
  return {
    offered: Math.round(offered * mix),
    delivered: Math.round(m.perSecond),
    latencyMs: m.latency.percentiles(),
    gaps: m.gaps,
    closes: m.closes,
    serverCpuPercent: Math.round((cpu / seconds) * 100),
    generatorUtilization: m.generatorUtilization,
    drained,
    ...(m.received > 0 ? { bytesPerDelivery: Math.round((m.bytes / m.received) * 10) / 10 } : {}),
  };
}

/**
 * The fixed rate with the server's processes on one core and the generator's
 * on the others (taskset -a -p: every thread), then both back to the CPUs
 * they had. Returns why it could not pin instead, when it could not.
 */
async function measurePinned(system: RunningSystem, pool: ClientPool, scenario: Scenario, timing: Timing, audience: readonly number[] | undefined, mode: PinMode): Promise<NonNullable<SystemResult['pinned']> | string> {
  if (mode === 'off') return 'not pinned: --pin off';
  const unavailable = pinningUnavailable();
  if (unavailable) return `not pinned: ${unavailable}`;
  const original = affinityList(process.pid);
  const cores = original ? splitCores(original) : undefined;
  if (!original || !cores) return `not pinned: this process may use CPUs ${original ?? '(unknown)'} only`;
  const pids = [...system.pids, ...pool.pids];
  try {
    pinProcesses(system.pids, cores.server);
    pinProcesses(pool.pids, cores.generator);
    const m = await measureRate(system, pool, scenario, scenario.fixedDeliveriesPerSec!, timing, audience);
    return { ...m, serverCores: cores.server, generatorCores: cores.generator };
  } finally {
    pinProcesses(pids, original);
  }
}

export async function runScenario(spec: SystemSpec, scenario: Scenario, timing: Timing, options: { cpuProfileDir?: string; pin?: PinMode; log?: (line: string) => void } = {}): Promise<SystemResult> {
  const log = options.log ?? ((): void => undefined);
  const result: SystemResult = { system: spec.name, scenario: scenario.name, status: 'ok' };
  if (scenario.scale) return runScale(spec, scenario, timing, result, log);
  if (scenario.slowConsumers) return runSlowConsumers(spec, scenario, timing, result, log);
  if (scenario.books) return runBooksCourse(spec, scenario, timing, result, log);
  let system: RunningSystem;
  try {
    system = await spec.start({ ...(options.cpuProfileDir ? { cpuProfileDir: options.cpuProfileDir } : {}) });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ...result, status: err instanceof SystemUnavailableError ? 'skipped' : 'failed', note: message };
  }
  let pool: ClientPool | undefined;
  try {
    await system.collectGarbage();
    const rssBefore = rssKiB(system.serverPid);
    const plan = scenarioPlan(scenario);
    // Only unequal audiences need the per-window correction (publishMix).
    const audience = scenario.skew ? audiences(plan, scenarioChannels(scenario)) : undefined;
    pool = await ClientPool.open(system, { plan, workers: timing.workers, sampleEvery: timing.sampleEvery });
    result.connections = { wanted: scenario.clients, ready: pool.ready, failed: pool.failed, errors: pool.errors };
    log(`  ${spec.name}: ${pool.ready}/${scenario.clients} connections subscribed`);
    if (pool.ready < scenario.clients) result.note = `${scenario.clients - pool.ready} connections failed: ${JSON.stringify(pool.errors)}`;
    if (scenario.idle) {
      await sleep(1000);
      await system.collectGarbage();
      const after = rssKiB(system.serverPid);
      result.rss = { beforeKiB: rssBefore, afterKiB: after, perConnectionKiB: Math.round(((after - rssBefore) / Math.max(1, pool.ready)) * 100) / 100 };
      log(`  ${spec.name}: RSS ${rssBefore} -> ${after} KiB, ${result.rss.perConnectionKiB} KiB per connection`);
    }
    const firstRate = scenario.fixedDeliveriesPerSec ?? scenario.maxSearch?.start;
    if (firstRate !== undefined && timing.primeMs > 0) {
      system.setRate(firstRate / fanout(scenario), scenarioChannels(scenario));
      await sleep(timing.primeMs);
      system.setRate(0, scenarioChannels(scenario));
      await pool.drain();
    }
    if (scenario.fixedDeliveriesPerSec) {
      result.fixed = await measureRate(system, pool, scenario, scenario.fixedDeliveriesPerSec, timing, audience);
      log(`  ${spec.name}: fixed ${result.fixed.offered}/s -> ${result.fixed.delivered}/s, p50 ${result.fixed.latencyMs.p50} ms, p99 ${result.fixed.latencyMs.p99} ms, server cpu ${result.fixed.serverCpuPercent}%, gen ${result.fixed.generatorUtilization.join('/')}, ${result.fixed.bytesPerDelivery ?? '-'} bytes/delivery`);
    }
    if (scenario.pin && scenario.fixedDeliveriesPerSec) {
      const pinned = await measurePinned(system, pool, scenario, timing, audience, options.pin ?? 'auto');
      if (typeof pinned === 'string') {
        result.note = result.note ? `${result.note}; ${pinned}` : pinned;
        log(`  ${spec.name}: ${pinned}`);
      } else {
        result.pinned = pinned;
        log(`  ${spec.name}: pinned (server on CPU ${pinned.serverCores}, generator on ${pinned.generatorCores}) ${pinned.offered}/s -> ${pinned.delivered}/s, p50 ${pinned.latencyMs.p50} ms, p99 ${pinned.latencyMs.p99} ms`);
      }
    }
    if (scenario.maxSearch) {
      const s = scenario.maxSearch;
      const search = new MaxSearch(s.start, s.factor, s.refinements, s.ceiling);
      let at: RateMeasurement | undefined;
      for (let offered = search.next(); offered !== undefined; offered = search.next()) {
        const m = await measureRate(system, pool, scenario, offered, timing, audience);
        search.record({ offered: m.offered, delivered: m.delivered, p99Ms: m.latencyMs.p99, closes: m.closes });
        const step = search.steps[search.steps.length - 1]!;
        if (step.sustained && (!at || m.delivered > at.delivered)) at = m;
        log(`  ${spec.name}: offered ${m.offered}/s -> ${m.delivered}/s p99 ${m.latencyMs.p99} ms cpu ${m.serverCpuPercent}% gen ${m.generatorUtilization.join('/')} ${step.sustained ? 'ok' : 'NOT sustained'}`);
      }
      result.max = { deliveriesPerSec: search.best, ...(at ? { at } : {}), steps: search.steps };
    }
    await recordTotals(result, pool);
  } catch (err) {
    result.status = 'failed';
    result.note = err instanceof Error ? err.message : String(err);
  } finally {
    await pool?.close();
    await system.stop();
  }
  return result;
}
