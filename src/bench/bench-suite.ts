// One benchmark run: every chosen system through every scenario (repeated
// and interleaved, so drift on a shared machine spreads over all systems),
// plus Odin's resume latency; then medians and ratios.
import { cpus } from 'node:os';
import { runScenario, type PinMode, type SystemResult } from './bench-scenario.js';
import type { BenchPlan } from './bench-plan.js';
import { ALL_SYSTEMS, CLASSIC_SYSTEMS, ODIN_MEMORY, ODIN_NATS, type SystemSpec } from './bench-systems.js';
import { killAllChildren } from './child-registry.js';
import { ODIN_CLUSTER, ODIN_CLUSTER_REUSE_PORT } from './odin-cluster-system.js';
import { compressionRatios, odinRatios, summarizeResults, median, type CompressionRatio, type Ratio, type SummaryRow } from './bench-summary.js';
import { runResumeCourse, type ResumeBroker, type ResumeCourseResult } from './resume-latency.js';

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
  /** The resume course: each backlog size on each broker, medians over runs. */
  resume?: { courses: ResumeCourseResult[] };
  results: SystemResult[];
}

export async function runBench(plan: BenchPlan, options: { systems: readonly string[]; repeat: number; pin?: PinMode; cpuProfileDir?: string; log: (line: string) => void }): Promise<BenchOutput> {
  const started = Date.now();
  const results: SystemResult[] = [];
  const resumeCourses: ResumeCourseResult[] = [];
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
      if (plan.resume) {
        for (const [broker, spec] of resumeSystems(options.systems)) {
          for (const r of await runResumeCourse(spec, broker, plan.resume.sizes)) {
            let course = resumeCourses.find((c) => c.broker === broker && c.missed === r.missed);
            if (!course) resumeCourses.push((course = { broker, missed: r.missed, rounds: r.rounds, runs: [] }));
            course.runs.push(r.result);
            options.log(`[run ${run}/${options.repeat}] resume of ${r.missed} missed messages (${broker}): p50 ${r.result.p50} ms, p99 ${r.result.p99} ms`);
          }
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
    ...(resumeCourses.length
      ? { resume: { courses: resumeCourses.map((c) => ({ ...c, p50Median: median(c.runs.map((r) => r.p50)), p99Median: median(c.runs.map((r) => r.p99)) })) } }
      : {}),
    results,
  };
}

/** The resume course's systems: over NATS when Odin or Odin over NATS is chosen, on the memory broker when Odin is. */
function resumeSystems(systems: readonly string[]): Array<[ResumeBroker, SystemSpec]> {
  const out: Array<[ResumeBroker, SystemSpec]> = [];
  if (systems.includes('odin') || systems.includes('odin-nats')) out.push(['nats', ODIN_NATS]);
  if (systems.includes('odin')) out.push(['memory', ODIN_MEMORY]);
  return out;
}
