// The scale course (issue 12): N subscribed connections to one gateway
// process, spread over 127.0.0.x source addresses and over generator child
// processes (open files are counted per process). Measured: the time to
// connect and subscribe them all, the server's RSS per connection (after a
// full GC, as for idle), then a broadcast: messages published one at a time
// on the channel every connection is subscribed to, each waited for until
// every connection has it. Reported: deliveries/s over the fan-outs,
// publish-to-receive latency (sampled connections), gaps, and how many
// connections received every message. Where the machine's open-file limit
// is below N, the run is capped and says so.
import { preciseNowMs } from '../load/latency-recorder.js';
import { recordTotals, type Scenario, type SystemResult, type Timing } from './bench-scenario.js';
import type { RunningSystem, SystemSpec } from './bench-systems.js';
import { FD_CONNECTION_SHARE, FD_RESERVE, fileBudget } from '../gateway/file-limit.js';
import { ClientPool } from './client-pool.js';
import { openFileLimits } from './os-limits.js';
import { benchChannels } from './price-tick.js';
import { rssKiB } from './proc-stats.js';
import { subscriptionPlan } from './subscription-plan.js';

/** Descriptors a process needs beside its connections (listeners, IPC, libuv, files). */
const FD_SPARE = 256;
/** Longest wait for one broadcast message to reach every connection. */
const FANOUT_TIMEOUT_MS = 60_000;

export interface ScaleResult {
  wanted: number;
  /** Connections attempted (below `wanted` when the open-file limit capped the run). */
  attempted: number;
  limit?: string;
  connectSeconds: number;
  generatorProcesses: number;
  broadcasts: number;
  /** Deliveries over the summed fan-out times (publish to the last connection's receipt). */
  deliveriesPerSec: number;
  /** Each message's fan-out time, ms. */
  fanoutMs: number[];
  latencyMs: { p50: number; p99: number; max: number; count: number };
  gaps: number;
  /** Connections that received every broadcast message. */
  complete: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How many connections one process may hold here, and why not more. */
export function connectionCapacity(limits: { soft: number; hard: number } | undefined): number {
  return limits ? Math.max(0, limits.soft - FD_SPARE) : Number.MAX_SAFE_INTEGER;
}

export async function runScale(spec: SystemSpec, scenario: Scenario, timing: Timing, result: SystemResult, log: (line: string) => void): Promise<SystemResult> {
  const wanted = scenario.clients;
  let system: RunningSystem;
  try {
    system = await spec.start({ fdLimit: wanted + FD_SPARE });
  } catch (err) {
    return { ...result, status: 'failed', note: err instanceof Error ? err.message : String(err) };
  }
  let pool: ClientPool | undefined;
  try {
    const serverLimits = openFileLimits(system.serverPid);
    // What the gateway itself accepts with those files (file-limit.ts): attempting more would only measure its 503s.
    const serverCapacity = serverLimits ? fileBudget(serverLimits.soft).maxConnections : Infinity;
    const attempted = Math.min(wanted, serverCapacity);
    const notes: string[] = [];
    let limit: string | undefined;
    if (attempted < wanted) {
      const needed = Math.ceil(wanted / FD_CONNECTION_SHARE) + FD_RESERVE;
      limit = `the server process may open ${serverLimits!.soft} files, and the gateway takes at most ${serverCapacity} connections with them (hard limit ${serverLimits!.hard}; ${wanted} connections need ${needed}: raising it needs privilege: ulimit -Hn, LimitNOFILE, docker --ulimit nofile=)`;
      notes.push(`capped at ${attempted} of ${wanted} connections: ${limit}`);
      log(`  ${spec.name}: ${notes[0]}`);
    }
    // Enough generator processes that none needs more descriptors than this process may have.
    const perProcess = connectionCapacity(openFileLimits());
    const processes = Math.max(timing.workers, Math.ceil(attempted / Math.max(1, perProcess)));
    const plan = subscriptionPlan({ clients: attempted, channels: benchChannels(scenario.channels), perClient: 1, skew: 0 });
    await system.collectGarbage();
    const rssBefore = rssKiB(system.serverPid);
    const started = performance.now();
    pool = await ClientPool.open(system, { plan, workers: processes, sampleEvery: timing.sampleEvery, processes: true, fdLimit: Math.ceil(attempted / processes) + FD_SPARE }, Math.max(120_000, attempted * 4));
    const connectSeconds = Math.round((performance.now() - started) / 10) / 100;
    result.connections = { wanted, ready: pool.ready, failed: pool.failed, errors: pool.errors };
    log(`  ${spec.name}: ${pool.ready}/${attempted} connections subscribed in ${connectSeconds} s (${processes} generator processes)`);
    if (pool.ready < attempted) notes.push(`${attempted - pool.ready} connections failed: ${JSON.stringify(pool.errors)}`);
    await sleep(1000);
    await system.collectGarbage();
    const rssAfter = rssKiB(system.serverPid);
    result.rss = { beforeKiB: rssBefore, afterKiB: rssAfter, perConnectionKiB: Math.round(((rssAfter - rssBefore) / Math.max(1, pool.ready)) * 100) / 100 };
    log(`  ${spec.name}: RSS ${rssBefore} -> ${rssAfter} KiB, ${result.rss.perConnectionKiB} KiB per connection`);

    const channel = benchChannels(scenario.channels)[0]!;
    const ready = pool.ready;
    await pool.startBroadcast();
    const fanoutMs: number[] = [];
    let complete = 0;
    for (let round = 1; round <= scenario.scale!.broadcasts; round++) {
      const publishedAt = preciseNowMs();
      await system.burst(channel, 1);
      const deadline = Date.now() + FANOUT_TIMEOUT_MS;
      let coverage = await pool.coverage(round);
      while (coverage.complete < ready && Date.now() < deadline) {
        await sleep(20);
        coverage = await pool.coverage(round);
      }
      complete = coverage.complete;
      fanoutMs.push(Math.round((coverage.lastDeliveryAt - publishedAt) * 100) / 100);
      log(`  ${spec.name}: broadcast ${round}: ${coverage.complete}/${ready} connections in ${fanoutMs[fanoutMs.length - 1]} ms`);
      if (coverage.complete < ready) {
        notes.push(`broadcast ${round} reached ${coverage.complete} of ${ready} connections within ${FANOUT_TIMEOUT_MS / 1000} s`);
        break;
      }
    }
    const m = await pool.stopMeasuring();
    const totalMs = fanoutMs.reduce((a, b) => a + b, 0);
    const latency = m.latency.percentiles();
    const scale: ScaleResult = {
      wanted,
      attempted,
      ...(limit ? { limit } : {}),
      connectSeconds,
      generatorProcesses: processes,
      broadcasts: fanoutMs.length,
      deliveriesPerSec: totalMs > 0 ? Math.round((m.received / totalMs) * 1000) : 0,
      fanoutMs,
      latencyMs: { p50: latency.p50, p99: latency.p99, max: latency.max, count: latency.count },
      gaps: m.gaps,
      complete,
    };
    result.scale = scale;
    await recordTotals(result, pool);
    if (notes.length) result.note = notes.join('; ');
    log(`  ${spec.name}: broadcast ${scale.deliveriesPerSec}/s, p99 ${latency.p99} ms, ${complete}/${ready} connections got all ${fanoutMs.length}, gaps ${m.gaps}`);
  } catch (err) {
    result.status = 'failed';
    result.note = err instanceof Error ? err.message : String(err);
  } finally {
    await pool?.close();
    await system.stop();
  }
  return result;
}
