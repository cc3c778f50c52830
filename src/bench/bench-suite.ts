// One benchmark run: every chosen system through every scenario (repeated
// and interleaved, so drift on a shared machine spreads over all systems),
// plus Odin's resume latency; then medians and ratios.
import { cpus } from 'node:os';
import { runScenario, type PinMode, type SystemResult } from './bench-scenario.js';
import type { BenchPlan } from './bench-plan.js';
import { ALL_SYSTEMS, CLASSIC_SYSTEMS, ODIN_MEMORY } from './bench-systems.js';
import { killAllChildren } from './child-registry.js';
import { ODIN_CLUSTER, ODIN_CLUSTER_REUSE_PORT } from './odin-cluster-system.js';
import { compressionRatios, odinRatios, summarizeResults, median, type CompressionRatio, type Ratio, type SummaryRow } from './bench-summary.js';
import { measureResume } from './resume-latency.js';
import type { LatencyPercentiles } from '../load/latency-recorder.js';

export interface BenchOutput {
  tool: 'odin bench';
  mode: string;
  startedAt: string;
  durationSec: number;
  machine: { cpus: number; cpuModel: string; node: string; platform: string };
  timing: BenchPlan['timing'];
  scenarios: BenchPlan['scenarios'];
  rows: SummaryRow[];
  ratios: Ratio[];
  compression: CompressionRatio[];
  resume?: { missed: number; rounds: number; runs: LatencyPercentiles[]; p50Median?: number; p99Median?: number };
  results: SystemResult[];
}

export async function runBench(plan: BenchPlan, options: { systems: readonly string[]; repeat: number; pin?: PinMode; cpuProfileDir?: string; log: (line: string) => void }): Promise<BenchOutput> {
  const started = Date.now();
  const results: SystemResult[] = [];
  const resumeRuns: LatencyPercentiles[] = [];
  try {
    for (let run = 1; run <= options.repeat; run++) {
      for (const scenario of plan.scenarios) {
        options.log(`[run ${run}/${options.repeat}] ${scenario.title}`);
        const own = scenario.systems ?? CLASSIC_SYSTEMS;
        for (const spec of [...ALL_SYSTEMS, ODIN_CLUSTER, ODIN_CLUSTER_REUSE_PORT].filter((s) => own.includes(s.name) && options.systems.includes(s.name))) {
          const result = await runScenario(spec, scenario, plan.timing, { ...(options.cpuProfileDir ? { cpuProfileDir: options.cpuProfileDir } : {}), pin: options.pin ?? 'auto', log: options.log });
          if (result.status !== 'ok') options.log(`  ${spec.name}: ${result.status}: ${result.note ?? ''}`);
          results.push({ ...result, run });
        }
      }
      if (plan.resume && options.systems.includes('odin')) {
        const system = await ODIN_MEMORY.start({});
        try {
          const r = await measureResume(system, plan.resume.missed, plan.resume.rounds);
          resumeRuns.push(r);
          options.log(`[run ${run}/${options.repeat}] resume of ${plan.resume.missed} missed messages: p50 ${r.p50} ms, p99 ${r.p99} ms`);
        } finally {
          await system.stop();
        }
      }
    }
  } finally {
    killAllChildren();
  }
  const rows = summarizeResults(results);
  const cpuList = cpus();
  return {
    tool: 'odin bench',
    mode: plan.mode,
    startedAt: new Date(started).toISOString(),
    durationSec: Math.round((Date.now() - started) / 1000),
    machine: { cpus: cpuList.length, cpuModel: cpuList[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform} ${process.arch}` },
    timing: plan.timing,
    scenarios: plan.scenarios,
    rows,
    ratios: odinRatios(rows, 'odin', results),
    compression: compressionRatios(rows),
    ...(plan.resume && resumeRuns.length
      ? { resume: { ...plan.resume, runs: resumeRuns, p50Median: median(resumeRuns.map((r) => r.p50)), p99Median: median(resumeRuns.map((r) => r.p99)) } }
      : {}),
    results,
  };
}
