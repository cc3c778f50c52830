// What a benchmark run contains, by mode: the scenarios, their rates and
// the measurement timing. Full: the figures for BENCHMARKS.md. Quick: a
// routine check under a minute. Tiny: a smoke run for the tests.
// Scenarios name their systems where they are not Odin and its four classic
// peers: compression compares Odin plain, Odin compressed and ws's
// per-connection deflate; scale is `odin gateway --workers N` over NATS, with
// as many workers as the connections need.
import { ConfigError } from '../config/option-parser.js';
import { nodeHasReusePort } from '../config/gateway-options.js';
import type { Scenario, Timing } from './bench-scenario.js';
import type { RealisticShape } from './scale-realistic.js';
import { CLASSIC_SYSTEMS } from './bench-systems.js';
import type { ResumeSize } from './resume-latency.js';

export type BenchMode = 'full' | 'quick' | 'tiny';

export interface BenchPlan {
  mode: BenchMode;
  scenarios: Scenario[];
  timing: Timing;
  /** The resume course on Odin (resume-latency.ts): each backlog size, `rounds` times, over NATS and on the memory broker. */
  resume?: { sizes: ResumeSize[] };
}

/** The resume course's name in --scenarios, by mode (it runs when named, or when no scenario is named). */
export const RESUME_SCENARIO = { full: 'resume', quick: 'resume', tiny: 'tiny-resume' } as const;

/** Backlogs of 1k, 10k and 100k messages (quick: 1k and 10k; tiny: small ones for the tests). */
const RESUME_SIZES: Record<BenchMode, ResumeSize[]> = {
  full: [
    { missed: 1000, rounds: 100 },
    { missed: 10_000, rounds: 20 },
    { missed: 100_000, rounds: 5 },
  ],
  quick: [
    { missed: 1000, rounds: 20 },
    { missed: 10_000, rounds: 5 },
  ],
  tiny: [
    { missed: 100, rounds: 3 },
    { missed: 1000, rounds: 3 },
  ],
};

/** The compression comparison: one Odin server, clients without and with deflate, and ws compressing per connection. */
const COMPRESSION_SYSTEMS = ['odin', 'odin-deflate', 'ws-deflate'];
/** Idle memory: the classic five, and Odin with deflate negotiated. */
const IDLE_SYSTEMS = [...CLASSIC_SYSTEMS, 'odin-deflate', 'ws-deflate'];

export const DEFAULT_SCALE_CONNECTIONS = { full: 50_000, tiny: 500 } as const;

/** The realistic phase of the scale course: issue 23's minute of 1,000 channels at 1 msg/s, each client on 1 to 10 of them. */
const REALISTIC_MINUTE: RealisticShape = { channels: 1000, seconds: 60, minPerClient: 1, maxPerClient: 10 };
const REALISTIC_TINY: RealisticShape = { channels: 50, seconds: 5, minPerClient: 1, maxPerClient: 10 };

/** The full scale course also measures --reuse-port against the cluster default, where this Node has reusePort (issue 23). */
export const scaleSystems = (full: boolean): string[] => (full && nodeHasReusePort() ? ['odin-cluster', 'odin-cluster-reuseport'] : ['odin-cluster']);

const scaleScenario = (name: string, connections: number, broadcasts: number, shape: RealisticShape, scale: ScaleOverrides): Scenario => {
  const realistic: RealisticShape = { ...shape, ...(scale.realisticDeliveries !== undefined ? { maxDeliveriesPerSec: scale.realisticDeliveries } : {}) };
  const maxWorkers = scale.workers;
  return {
  name,
  title: `${connections.toLocaleString('en-US')} subscribed connections to one gateway (as many worker processes as needed), ${broadcasts} broadcasts, then ${realistic.seconds} s of ${realistic.channels.toLocaleString('en-US')} channels at 1 msg/s (lower when the watch lists would ask more than ${realistic.maxDeliveriesPerSec ? `${realistic.maxDeliveriesPerSec.toLocaleString('en-US')} deliveries/s` : 'the box can give'})`,
  clients: connections,
  channels: 1,
  systems: scaleSystems(name === 'scale'),
  scale: { broadcasts, realistic, ...(maxWorkers ? { maxWorkers } : {}) },
  };
};

/** The scale scenario's settings from the command line. */
interface ScaleOverrides {
  connections?: number | undefined;
  workers?: number | undefined;
  realisticDeliveries?: number | undefined;
}

const full = (scaleConnections: number, scale: ScaleOverrides): Scenario[] => [
  { name: 'one-channel', title: '500 clients, one channel', clients: 500, channels: 1, fixedDeliveriesPerSec: 100_000, maxSearch: { start: 50_000, factor: 2, refinements: 2, ceiling: 50_000_000 } },
  { name: 'fifty-channels', title: '5,000 clients over 50 channels', clients: 5000, channels: 50, fixedDeliveriesPerSec: 100_000, maxSearch: { start: 50_000, factor: 2, refinements: 1, ceiling: 50_000_000 } },
  // Real watch lists: each client names 10 of 50 channels, a few on almost every list, most on few.
  { name: 'portfolio', title: '2,000 clients, each 10 of 50 channels (skewed)', clients: 2000, channels: 50, perClient: 10, skew: 1, fixedDeliveriesPerSec: 100_000, maxSearch: { start: 50_000, factor: 2, refinements: 1, ceiling: 50_000_000 } },
  // Bytes on the wire per delivery and max deliveries/s, uncompressed and compressed, one run.
  { name: 'compression', title: '500 clients, one channel, permessage-deflate', clients: 500, channels: 1, systems: COMPRESSION_SYSTEMS, fixedDeliveriesPerSec: 100_000, maxSearch: { start: 50_000, factor: 2, refinements: 2, ceiling: 50_000_000 } },
  // Latency at a fixed rate, unpinned then with server and generator on separate cores.
  { name: 'pinned', title: '500 clients, one channel, pinned and unpinned', clients: 500, channels: 1, fixedDeliveriesPerSec: 100_000, pin: true },
  { name: 'idle', title: '10,000 idle subscribed connections', clients: 10_000, channels: 50, idle: true, systems: IDLE_SYSTEMS },
  scaleScenario('scale', scaleConnections, 5, REALISTIC_MINUTE, scale),
  // 10% of the clients read at a tenth of the rate: without them, with them (--slow-client conflate), and with --slow-client close.
  {
    name: 'slow-consumers',
    title: '1,000 clients over 10 channels, 10% watching all 10 and reading at a tenth of the rate (without them / conflate / close)',
    clients: 1000,
    channels: 10,
    systems: ['odin'],
    fixedDeliveriesPerSec: 50_000,
    slowConsumers: { slowEvery: 10, readFactor: 0.1, slowWatchEveryChannel: true, maxQueueBytes: 65_536, switchWaitMs: 120_000, windowMs: 20_000 },
  },
  // Order books (issue 21): the same clients on 20 price channels, then on 20 book channels, and a snapshot's cost.
  {
    name: 'books',
    title: '1,000 clients over 20 channels: price ticks, then order books (snapshot + checksummed updates)',
    clients: 1000,
    channels: 20,
    systems: ['odin'],
    fixedDeliveriesPerSec: 50_000,
    maxSearch: { start: 50_000, factor: 2, refinements: 1, ceiling: 50_000_000 },
    books: { snapshotRounds: 200 },
  },
];

const QUICK: Scenario[] = [
  { name: 'one-channel', title: '500 clients, one channel', clients: 500, channels: 1, fixedDeliveriesPerSec: 100_000, maxSearch: { start: 100_000, factor: 4, refinements: 1, ceiling: 50_000_000 } },
  { name: 'idle', title: '1,000 idle subscribed connections', clients: 1000, channels: 50, idle: true },
];

const tiny = (scaleConnections: number, scale: ScaleOverrides): Scenario[] => [
  { name: 'tiny', title: '20 clients, one channel', clients: 20, channels: 1, fixedDeliveriesPerSec: 2000, maxSearch: { start: 4000, factor: 4, refinements: 0, ceiling: 4000 } },
  { name: 'tiny-portfolio', title: '20 clients, each 3 of 6 channels (skewed)', clients: 20, channels: 6, perClient: 3, skew: 1, fixedDeliveriesPerSec: 2000 },
  { name: 'tiny-compression', title: '20 clients, one channel, permessage-deflate', clients: 20, channels: 1, systems: COMPRESSION_SYSTEMS, fixedDeliveriesPerSec: 2000, maxSearch: { start: 4000, factor: 4, refinements: 0, ceiling: 4000 } },
  { name: 'tiny-pinned', title: '20 clients, one channel, pinned and unpinned', clients: 20, channels: 1, fixedDeliveriesPerSec: 2000, pin: true },
  scaleScenario('tiny-scale', scaleConnections, 3, REALISTIC_TINY, scale),
  { name: 'tiny-books', title: '20 clients over 4 channels: price ticks, then order books', clients: 20, channels: 4, systems: ['odin'], fixedDeliveriesPerSec: 2000, maxSearch: { start: 4000, factor: 4, refinements: 0, ceiling: 4000 }, books: { snapshotRounds: 10 } },
  {
    name: 'tiny-slow-consumers',
    title: '40 clients over 2 channels, 10% watching both and reading at a tenth of the rate (without them / conflate / close)',
    clients: 40,
    channels: 2,
    systems: ['odin'],
    fixedDeliveriesPerSec: 20_000,
    slowConsumers: { slowEvery: 10, readFactor: 0.1, slowWatchEveryChannel: true, maxQueueBytes: 16_384, switchWaitMs: 60_000, windowMs: 2000 },
  },
];

function scenariosOf(mode: BenchMode, scale: ScaleOverrides = {}): Scenario[] {
  if (mode === 'full') return full(scale.connections ?? DEFAULT_SCALE_CONNECTIONS.full, scale);
  if (mode === 'quick') return QUICK;
  return tiny(scale.connections ?? DEFAULT_SCALE_CONNECTIONS.tiny, scale);
}

/** Scenario names by mode, for help and error messages. */
export function scenarioNames(mode: BenchMode): string[] {
  return [...scenariosOf(mode).map((s) => s.name), RESUME_SCENARIO[mode]];
}

export function benchPlan(
  mode: BenchMode,
  overrides: {
    warmupMs?: number | undefined;
    measureMs?: number | undefined;
    workers: number;
    sampleEvery: number;
    scenarios?: readonly string[];
    scaleConnections?: number | undefined;
    scaleWorkers?: number | undefined;
    scaleRealisticDeliveries?: number | undefined;
  },
): BenchPlan {
  const base = scenariosOf(mode, { connections: overrides.scaleConnections, workers: overrides.scaleWorkers, realisticDeliveries: overrides.scaleRealisticDeliveries });
  const wanted = overrides.scenarios ?? [];
  // A typo must not run nothing and report success: name what this mode has.
  const unknown = wanted.filter((name) => !base.some((s) => s.name === name) && name !== RESUME_SCENARIO[mode]);
  if (unknown.length > 0) {
    throw new ConfigError(`--scenarios/BENCH_SCENARIOS: unknown scenario ${unknown.map((n) => JSON.stringify(n)).join(', ')} in ${mode} mode; one of ${scenarioNames(mode).join(', ')}`);
  }
  const resume = wanted.length === 0 || wanted.includes(RESUME_SCENARIO[mode]);
  const scenarios = wanted.length > 0 ? base.filter((s) => wanted.includes(s.name)) : base;
  const defaults =
    mode === 'full' ? { primeMs: 3000, warmupMs: 1000, measureMs: 2000 } : mode === 'quick' ? { primeMs: 1000, warmupMs: 300, measureMs: 700 } : { primeMs: 300, warmupMs: 200, measureMs: 500 };
  return {
    mode,
    scenarios,
    timing: {
      primeMs: defaults.primeMs,
      warmupMs: overrides.warmupMs ?? defaults.warmupMs,
      measureMs: overrides.measureMs ?? defaults.measureMs,
      workers: overrides.workers,
      sampleEvery: mode === 'tiny' ? 1 : overrides.sampleEvery,
    },
    ...(resume ? { resume: { sizes: RESUME_SIZES[mode] } } : {}),
  };
}
