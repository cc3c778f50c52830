// Every setting of `odin bench`, with its flag, environment variable and default.
import { ConfigError, resolveOptions, type OptionTable, type OptionValues } from './option-parser.js';

export const BENCH_SYSTEM_NAMES = ['odin', 'odin-deflate', 'odin-nats', 'odin-cluster', 'odin-cluster-reuseport', 'nats-ws', 'ws-loop', 'ws-deflate', 'socketio'] as const;

export const benchOptionTable = {
  quick: { kind: 'bool', flag: 'quick', env: 'BENCH_QUICK', default: false, description: 'short run (under a minute): 500 clients on one channel, 1,000 idle connections, resume' },
  tiny: { kind: 'bool', flag: 'tiny', env: 'BENCH_TINY', default: false, description: 'smoke run for tests: 20 clients for about 2 s per system' },
  systems: { kind: 'list', flag: 'systems', env: 'BENCH_SYSTEMS', default: [...BENCH_SYSTEM_NAMES], description: `systems to run (${BENCH_SYSTEM_NAMES.join(', ')}); each scenario runs those of its own systems listed here` },
  scenarios: { kind: 'list', flag: 'scenarios', env: 'BENCH_SCENARIOS', default: [], description: 'scenarios to run, by name (listed above) [default: all of the mode]' },
  repeat: { kind: 'int', flag: 'repeat', env: 'BENCH_REPEAT', default: 1, min: 1, max: 20, description: 'run everything this many times and report medians' },
  workers: { kind: 'int', flag: 'workers', env: 'BENCH_WORKERS', default: 2, min: 1, max: 32, description: 'load-generator threads' },
  warmupMs: { kind: 'int', flag: 'warmup-ms', env: 'BENCH_WARMUP_MS', default: undefined, min: 0, description: 'warm-up at each rate before measuring [default: by mode]' },
  measureMs: { kind: 'int', flag: 'measure-ms', env: 'BENCH_MEASURE_MS', default: undefined, min: 100, description: 'measurement window per rate [default: by mode]' },
  sampleEvery: { kind: 'int', flag: 'sample-every', env: 'BENCH_SAMPLE_EVERY', default: 10, min: 1, description: 'every n-th connection reads payloads for latency and loss checks' },
  pin: { kind: 'string', flag: 'pin', env: 'BENCH_PIN', default: 'auto', choices: ['auto', 'off'], description: 'pinned scenarios: auto = also measure with server and generator on separate cores (taskset) where there are >= 2; off = unpinned only' },
  scaleWorkers: { kind: 'int', flag: 'scale-workers', env: 'BENCH_SCALE_WORKERS', default: undefined, min: 2, max: 64, description: 'most gateway worker processes the scale scenario starts [default: as many as the connections need under the open-file limit, up to 64]' },
  scaleConnections: { kind: 'int', flag: 'scale-connections', env: 'BENCH_SCALE_CONNECTIONS', default: undefined, min: 1, max: 2_000_000, description: 'connections in the scale scenario [default: 50000; 500 with --tiny]' },
  scaleRealisticDeliveries: { kind: 'int', flag: 'scale-realistic-deliveries', env: 'BENCH_SCALE_REALISTIC_DELIVERIES', default: 40_000, min: 0, description: "most deliveries/s the scale scenario's realistic phase asks: when the watch lists at 1 msg/s per channel would ask more, each channel publishes slower (0 = always 1 msg/s)" },
  json: { kind: 'string', flag: 'json', env: 'BENCH_JSON', default: undefined, description: 'write all results as JSON to this file (- = stdout, table to stderr)' },
  cpuProf: { kind: 'string', flag: 'cpu-prof', env: 'BENCH_CPU_PROF', default: undefined, description: 'write a V8 CPU profile of each Node server process into this directory' },
} satisfies OptionTable;

export type BenchConfig = OptionValues<typeof benchOptionTable>;

export function benchConfigFrom(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const values = resolveOptions(benchOptionTable, argv, env);
  for (const s of values.systems) {
    if (!(BENCH_SYSTEM_NAMES as readonly string[]).includes(s)) throw new ConfigError(`--systems/BENCH_SYSTEMS: unknown system ${JSON.stringify(s)}; one of ${BENCH_SYSTEM_NAMES.join(', ')}`);
  }
  const { _positionals, ...config } = values;
  void _positionals;
  return config;
}
