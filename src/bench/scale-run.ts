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
import { readFileSync } from 'node:fs';
import { preciseNowMs } from '../load/latency-recorder.js';
import { recordTotals, type Scenario, type SystemResult, type Timing } from './bench-scenario.js';
import type { RunningSystem, SystemSpec } from './bench-systems.js';
import { FD_CONNECTION_SHARE, FD_RESERVE, fileBudget } from '../gateway/file-limit.js';
import { ClientPool } from './client-pool.js';
import { openFileLimits } from './os-limits.js';
import { benchChannels } from './price-tick.js';
import { rssKiB } from './proc-stats.js';
import { subscriptionPlan, varyingPlan } from './subscription-plan.js';
import { runRealisticMinute, type RealisticResult } from './scale-realistic.js';

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
  /** Subscribed connections over the time to open and subscribe them all. */
  connectionsPerSec: number;
  /** Gateway processes (workers) serving the connections; their RSS is summed. */
  serverProcesses: number;
  /** TCP sockets in use more after connecting (both ends: about 2 per connection), and their buffer memory (/proc/net/sockstat). */
  kernelSockets?: number;
  kernelSocketMemKiB?: number;
  /** Unreclaimable kernel slab added while connecting (socket structures of both ends; machine-wide, so noisy). */
  kernelSlabKiB?: number;
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
  /** Warnings and errors the gateway logged, by event (why connections were refused or closed), when it has any. */
  gatewayWarnings?: Record<string, number>;
  /** The realistic minute after the broadcasts (scale-realistic.ts), when the scenario has one. */
  realistic?: RealisticResult;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Memory one connection costs this machine, both ends and the kernel, measured (docs/scaling.md), with room to spare. */
const CONNECTION_COST_KIB = 40;

function sumRss(pids: readonly number[]): number {
  return pids.reduce((n, pid) => n + rssKiB(pid), 0);
}

/** How many connections MemAvailable allows at CONNECTION_COST_KIB each, keeping 2 GiB for everything else. */
function connectionsMemoryAllows(): { connections: number; availableMiB: number } {
  try {
    const kib = Number(/MemAvailable:\s+(\d+)\s+kB/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1]);
    if (!Number.isFinite(kib)) return { connections: Number.MAX_SAFE_INTEGER, availableMiB: NaN };
    return { connections: Math.max(0, Math.floor((kib - 2 * 1024 * 1024) / CONNECTION_COST_KIB)), availableMiB: Math.round(kib / 1024) };
  } catch {
    return { connections: Number.MAX_SAFE_INTEGER, availableMiB: NaN };
  }
}

/**
 * TCP sockets in use and their buffer memory in pages (/proc/net/sockstat),
 * and the kernel's unreclaimable slab (/proc/meminfo), where socket
 * structures live: sockstat's `mem` counts only queued data, so an idle
 * socket's own cost shows in the slab (machine-wide: other processes move it too).
 */
function tcpSockstat(): { inuse: number; memPages: number; slabKiB: number } | undefined {
  try {
    const m = /^TCP: inuse (\d+) .* mem (\d+)/m.exec(readFileSync('/proc/net/sockstat', 'utf8'));
    const slab = /SUnreclaim:\s+(\d+)\s+kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
    return m ? { inuse: Number(m[1]), memPages: Number(m[2]), slabKiB: Number(slab?.[1] ?? 0) } : undefined;
  } catch {
    return undefined;
  }
}

/** The resource behind connection errors, by errno or status. */
function ranOut(errors: Record<string, number>): string {
  const names = Object.keys(errors).join(' ');
  if (/EADDRNOTAVAIL/.test(names)) return 'local ports (ephemeral range per source address)';
  if (/EMFILE|ENFILE/.test(names)) return 'open files';
  if (/ENOMEM|ENOBUFS/.test(names)) return 'kernel memory';
  if (/503/.test(names)) return 'gateway capacity (HTTP 503)';
  if (/timeout|ETIMEDOUT/i.test(names)) return 'time (the box could not connect them in the allowed time: CPU)';
  return 'see the errors';
}

/** How many connections one process may hold here, and why not more. */
export function connectionCapacity(limits: { soft: number; hard: number } | undefined): number {
  return limits ? Math.max(0, limits.soft - FD_SPARE) : Number.MAX_SAFE_INTEGER;
}

export async function runScale(spec: SystemSpec, scenario: Scenario, timing: Timing, result: SystemResult, log: (line: string) => void): Promise<SystemResult> {
  const wanted = scenario.clients;
  // Memory first: a run that cannot fit is cut to what fits, and says so, before anything starts.
  const byMemory = connectionsMemoryAllows();
  const sized = Math.min(wanted, byMemory.connections);
  let system: RunningSystem;
  try {
    system = await spec.start({ fdLimit: sized + FD_SPARE, connections: sized, ...(scenario.scale?.maxWorkers ? { maxWorkers: scenario.scale.maxWorkers } : {}) });
  } catch (err) {
    return { ...result, status: 'failed', note: err instanceof Error ? err.message : String(err) };
  }
  let pool: ClientPool | undefined;
  try {
    const serverPids = system.serverPids ?? [system.serverPid];
    // What the gateway processes accept with their files (file-limit.ts): attempting more would only measure their 503s.
    const limits = serverPids.map((pid) => openFileLimits(pid));
    const serverCapacity = limits.reduce((n, l) => n + (l ? fileBudget(l.soft).maxConnections : Infinity), 0);
    const attempted = Math.min(sized, serverCapacity);
    const notes: string[] = [];
    let limit: string | undefined;
    if (sized < wanted) {
      limit = `memory: ${byMemory.availableMiB} MiB available, about ${CONNECTION_COST_KIB} KiB per connection on both sides and in the kernel, so at most ${byMemory.connections} connections`;
    } else if (attempted < wanted) {
      const first = limits[0];
      const needed = Math.ceil(wanted / FD_CONNECTION_SHARE) + FD_RESERVE;
      limit = serverPids.length > 1
        ? `open files: ${serverPids.length} gateway workers (the most this run starts: --scale-workers, at most 64) with ${first?.soft ?? '?'} files each take at most ${serverCapacity} connections`
        : `the server process may open ${first!.soft} files, and the gateway takes at most ${serverCapacity} connections with them (hard limit ${first!.hard}; ${wanted} connections need ${needed}: raising it needs privilege: ulimit -Hn, LimitNOFILE, docker --ulimit nofile=)`;
    }
    if (limit) {
      notes.push(`capped at ${attempted} of ${wanted} connections: ${limit}`);
      log(`  ${spec.name}: ${notes[0]}`);
    }
    if (serverPids.length > 1) log(`  ${spec.name}: ${serverPids.length} gateway worker processes`);
    // Enough generator processes that none needs more descriptors than this process may have.
    const perProcess = connectionCapacity(openFileLimits());
    const processes = Math.max(timing.workers, Math.ceil(attempted / Math.max(1, perProcess)));
    // Every client is on the broadcast channel; with a realistic minute, also on 1 to 10 of its channels, named at connect time.
    const realisticShape = scenario.scale!.realistic;
    const realisticChannels = realisticShape ? benchChannels(1 + realisticShape.channels).slice(1) : [];
    const plan = realisticShape
      ? varyingPlan({ clients: attempted, channels: realisticChannels, min: realisticShape.minPerClient, max: realisticShape.maxPerClient }).map((list) => [benchChannels(1)[0]!, ...list])
      : subscriptionPlan({ clients: attempted, channels: benchChannels(scenario.channels), perClient: 1, skew: 0 });
    await system.collectGarbage();
    const rssBefore = sumRss(serverPids);
    const socketsBefore = tcpSockstat();
    const started = performance.now();
    // A shared 2-core machine may connect only a few hundred per second: allow 10 ms each (200,000: 33 min), at least 5 min.
    pool = await ClientPool.open(system, { plan, workers: processes, sampleEvery: timing.sampleEvery, processes: true, fdLimit: Math.ceil(attempted / processes) + FD_SPARE }, Math.max(300_000, attempted * 10));
    const connectSeconds = Math.round((performance.now() - started) / 10) / 100;
    result.connections = { wanted, ready: pool.ready, failed: pool.failed, errors: pool.errors };
    log(`  ${spec.name}: ${pool.ready}/${attempted} connections subscribed in ${connectSeconds} s (${processes} generator processes)`);
    if (pool.ready < attempted) notes.push(`${attempted - pool.ready} connections failed (what ran out: ${ranOut(pool.errors)}): ${JSON.stringify(pool.errors)}`);
    await sleep(1000);
    await system.collectGarbage();
    const rssAfter = sumRss(serverPids);
    const socketsAfter = tcpSockstat();
    result.rss = { beforeKiB: rssBefore, afterKiB: rssAfter, perConnectionKiB: Math.round(((rssAfter - rssBefore) / Math.max(1, pool.ready)) * 100) / 100 };
    const kernel = socketsBefore && socketsAfter ? { sockets: socketsAfter.inuse - socketsBefore.inuse, memKiB: (socketsAfter.memPages - socketsBefore.memPages) * 4, slabKiB: socketsAfter.slabKiB - socketsBefore.slabKiB } : undefined;
    log(`  ${spec.name}: RSS ${rssBefore} -> ${rssAfter} KiB over ${serverPids.length} process(es), ${result.rss.perConnectionKiB} KiB per connection${kernel ? `; kernel: ${kernel.sockets} more TCP sockets, socket buffers ${kernel.memKiB} KiB, unreclaimable slab ${kernel.slabKiB} KiB more (${Math.round((kernel.slabKiB / Math.max(1, pool.ready)) * 100) / 100} KiB per connection, both ends)` : ''}`);

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
    let realistic: RealisticResult | undefined;
    // `complete` may pass `ready`: a connection lost while the others settled came back in time for the broadcasts.
    if (realisticShape && complete >= ready) {
      log(`  ${spec.name}: realistic: ${realisticShape.channels} channels for ${realisticShape.seconds} s, each client on ${realisticShape.minPerClient} to ${realisticShape.maxPerClient} of them`);
      realistic = await runRealisticMinute(system, pool, plan, realisticChannels, realisticShape);
      if (realistic.perChannelPerSec < 1) {
        notes.push(`realistic: each channel at ${realistic.perChannelPerSec} msg/s, not 1: at 1 msg/s the watch lists ask ${Math.round(realistic.askedPerSec / realistic.perChannelPerSec)} deliveries/s, above --scale-realistic-deliveries ${realisticShape.maxDeliveriesPerSec}`);
      }
      log(`  ${spec.name}: realistic: ${realistic.perChannelPerSec} msg/s per channel (asking ${realistic.askedPerSec} deliveries/s), ${realistic.received}/${realistic.expected} deliveries (${realistic.deliveriesPerSec}/s), p50 ${realistic.latencyMs.p50} ms, p99 ${realistic.latencyMs.p99} ms, gaps ${realistic.gaps}, closes ${realistic.closes}, busiest generator ${realistic.generatorBusiest}`);
      if (realistic.received < realistic.expected) {
        // Nothing closed and no gap: the rest was still queued (late, not lost) when the wait ended; the box's CPU is what ran out.
        const asked = Math.round(realistic.expected / realistic.seconds);
        notes.push(
          realistic.closes === 0 && realistic.gaps === 0
            ? `realistic: CPU ran out: the watch lists ask ${asked} deliveries/s, the box delivered ${realistic.deliveriesPerSec}/s; ${realistic.expected - realistic.received} of ${realistic.expected} were still queued 30 s after publishing stopped (late, not lost: 0 closes, 0 gaps)`
            : `realistic: ${realistic.expected - realistic.received} of ${realistic.expected} deliveries missing (${realistic.closes} connections closed, ${realistic.gaps} gaps)`,
        );
      }
      if (realistic.generatorBusiest > 0.9) notes.push(`realistic: a generator process was busy ${Math.round(realistic.generatorBusiest * 100)}% of the time: its latency includes the generator's own queueing`);
    }
    const totalMs = fanoutMs.reduce((a, b) => a + b, 0);
    const latency = m.latency.percentiles();
    const scale: ScaleResult = {
      wanted,
      attempted,
      ...(limit ? { limit } : {}),
      connectSeconds,
      connectionsPerSec: Math.round(pool.ready / Math.max(0.01, connectSeconds)),
      serverProcesses: serverPids.length,
      ...(kernel ? { kernelSockets: kernel.sockets, kernelSocketMemKiB: kernel.memKiB, kernelSlabKiB: kernel.slabKiB } : {}),
      generatorProcesses: processes,
      broadcasts: fanoutMs.length,
      deliveriesPerSec: totalMs > 0 ? Math.round((m.received / totalMs) * 1000) : 0,
      fanoutMs,
      latencyMs: { p50: latency.p50, p99: latency.p99, max: latency.max, count: latency.count },
      gaps: m.gaps + (realistic?.gaps ?? 0),
      complete,
      ...(realistic ? { realistic } : {}),
    };
    const events = system.gatewayEvents?.();
    if (events && Object.keys(events).length > 0) {
      scale.gatewayWarnings = events;
      notes.push(`gateway warnings by event (log lines; some are logged only at powers of 2): ${JSON.stringify(events)}`);
    }
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
