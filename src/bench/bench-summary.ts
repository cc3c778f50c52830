// Turns raw per-run results into one row per (scenario, system) with medians
// over repeated runs, and the ratios of Odin to each peer.
import type { SystemResult } from './bench-scenario.js';
import type { RealisticResult } from './scale-realistic.js';

export interface SummaryRow {
  scenario: string;
  system: string;
  runs: number;
  status: 'ok' | 'skipped' | 'failed';
  note?: string;
  fixedOffered?: number;
  fixedDelivered?: number;
  p50?: number;
  p99?: number;
  p999?: number;
  maxDeliveriesPerSec?: number;
  serverCpuAtMax?: number;
  /** The busiest generator thread at the max step (1 = saturated: the generator, not the server, may be the limit). */
  generatorAtMax?: number;
  rssPerConnectionKiB?: number;
  /** Bytes read by the clients per delivery at the fixed rate, and at the max step. */
  bytesPerDelivery?: number;
  bytesPerDeliveryAtMax?: number;
  /** The fixed rate with server and generator pinned to separate cores. */
  pinnedDelivered?: number;
  pinnedP50?: number;
  pinnedP99?: number;
  pinnedP999?: number;
  /** The scale course. */
  scale?: {
    wanted: number;
    attempted: number;
    subscribed?: number;
    connectSeconds?: number;
    connectionsPerSec?: number;
    /** Gateway worker processes (RSS summed over them). */
    serverProcesses?: number;
    /** Kernel TCP socket buffer memory added by the connections, KiB (/proc/net/sockstat). */
    kernelSocketMemKiB?: number;
    /** Unreclaimable kernel slab added by the connections (both ends), KiB per connection. */
    kernelSlabPerConnectionKiB?: number;
    /** Broadcast: publish to the last connection's receipt, ms. */
    fanoutMs?: number;
    broadcastDeliveriesPerSec?: number;
    broadcastP50?: number;
    broadcastP99?: number;
    /** Fewest connections that received every broadcast message, over the runs. */
    complete?: number;
    limit?: string;
    /** The realistic phase of the run that delivered the smallest share of what its watch lists called for. */
    realistic?: RealisticResult;
  };
  gaps: number;
  /** Lowest and highest over the runs (repeat > 1): how much the median can be trusted. */
  spread?: Spread;
}

export interface Spread {
  maxDeliveriesPerSec?: Range;
  p99?: Range;
  pinnedP99?: Range;
  bytesPerDelivery?: Range;
}

export type Range = readonly [low: number, high: number];

/** Odin's shared compression against Odin uncompressed and ws's per-connection deflate, per scenario. */
export interface CompressionRatio {
  scenario: string;
  /** Odin's bytes per delivery divided by Odin compressed's (higher: more saved), at the fixed rate and at the max step. */
  bytesSaved?: number;
  bytesSavedAtMax?: number;
  /** Odin compressed's max deliveries/s over Odin uncompressed's (target >= 0.8) and over ws-deflate's (target >= 10). */
  maxVsOdin?: number;
  maxVsWsDeflate?: number;
}

export interface Ratio {
  scenario: string;
  peer: string;
  /** Odin's max deliveries/s divided by the peer's (higher is better for Odin). */
  maxDeliveries?: number;
  /** The peer's p99 divided by Odin's at the fixed rate (higher is better for Odin). */
  p99?: number;
  /** The peer's RSS per connection divided by Odin's (higher is better for Odin). */
  rssPerConnection?: number;
  /** The peer's p99 divided by Odin's at the fixed rate with server and generator pinned apart. */
  pinnedP99?: number;
  /** Lowest and highest max-deliveries ratio over the repetitions, each taken within one run (Odin and the peer measured minutes apart). */
  maxDeliveriesSpread?: [number, number];
  /** The same for the fixed-rate p99 ratio. */
  p99Spread?: [number, number];
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function range(values: readonly number[]): Range | undefined {
  return values.length > 1 ? [Math.min(...values), Math.max(...values)] : undefined;
}

function defined(values: Array<number | undefined>): number[] {
  return values.filter((v): v is number => v !== undefined && Number.isFinite(v));
}

export function summarizeResults(results: readonly SystemResult[]): SummaryRow[] {
  const groups = new Map<string, SystemResult[]>();
  for (const r of results) {
    const key = `${r.scenario}\u0000${r.system}`;
    const list = groups.get(key);
    if (list) list.push(r);
    else groups.set(key, [r]);
  }
  const rows: SummaryRow[] = [];
  for (const runs of groups.values()) {
    const ok = runs.filter((r) => r.status === 'ok');
    const first = runs[0]!;
    const m = (pick: (r: SystemResult) => number | undefined): number | undefined => median(defined(ok.map(pick)));
    const r = (pick: (r: SystemResult) => number | undefined): Range | undefined => range(defined(ok.map(pick)));
    const spread = withoutUndefined({
      maxDeliveriesPerSec: r((x) => x.max?.deliveriesPerSec),
      p99: r((x) => x.fixed?.latencyMs.p99),
      pinnedP99: r((x) => x.pinned?.latencyMs.p99),
      bytesPerDelivery: r((x) => x.fixed?.bytesPerDelivery),
    });
    const notes = [...new Set(runs.map((r) => r.note).filter((n): n is string => !!n))];
    rows.push({
      scenario: first.scenario,
      system: first.system,
      runs: runs.length,
      status: ok.length > 0 ? 'ok' : first.status,
      ...(notes.length ? { note: notes.join('; ') } : {}),
      fixedOffered: m((r) => r.fixed?.offered),
      fixedDelivered: m((r) => r.fixed?.delivered),
      p50: m((r) => r.fixed?.latencyMs.p50),
      p99: m((r) => r.fixed?.latencyMs.p99),
      p999: m((r) => r.fixed?.latencyMs.p999),
      maxDeliveriesPerSec: m((r) => r.max?.deliveriesPerSec),
      serverCpuAtMax: m((r) => r.max?.at?.serverCpuPercent),
      generatorAtMax: m((r) => (r.max?.at ? Math.max(...r.max.at.generatorUtilization) : undefined)),
      rssPerConnectionKiB: m((r) => r.rss?.perConnectionKiB),
      bytesPerDelivery: m((r) => r.fixed?.bytesPerDelivery),
      bytesPerDeliveryAtMax: m((r) => r.max?.at?.bytesPerDelivery),
      pinnedDelivered: m((r) => r.pinned?.delivered),
      pinnedP50: m((r) => r.pinned?.latencyMs.p50),
      pinnedP99: m((r) => r.pinned?.latencyMs.p99),
      pinnedP999: m((r) => r.pinned?.latencyMs.p999),
      ...(first.scale || ok.some((r) => r.scale) ? { scale: scaleSummary(ok) } : {}),
      gaps: ok.reduce((n, r) => n + (r.gaps ?? 0), 0),
      ...(Object.keys(spread).length ? { spread } : {}),
    });
  }
  return rows;
}

function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function scaleSummary(ok: readonly SystemResult[]): NonNullable<SummaryRow['scale']> {
  const runs = ok.filter((r) => r.scale);
  const m = (pick: (r: SystemResult) => number | undefined): number | undefined => median(defined(runs.map(pick)));
  const completes = defined(runs.map((r) => r.scale?.complete));
  const limit = runs.find((r) => r.scale?.limit)?.scale?.limit;
  return {
    wanted: runs[0]?.scale?.wanted ?? 0,
    attempted: runs[0]?.scale?.attempted ?? 0,
    subscribed: m((r) => r.connections?.ready),
    connectSeconds: m((r) => r.scale?.connectSeconds),
    connectionsPerSec: m((r) => r.scale?.connectionsPerSec),
    serverProcesses: m((r) => r.scale?.serverProcesses),
    kernelSocketMemKiB: m((r) => r.scale?.kernelSocketMemKiB),
    kernelSlabPerConnectionKiB: m((r) => (r.scale?.kernelSlabKiB !== undefined && r.connections?.ready ? Math.round((r.scale.kernelSlabKiB / r.connections.ready) * 100) / 100 : undefined)),
    fanoutMs: m((r) => (r.scale?.fanoutMs.length ? median(r.scale.fanoutMs) : undefined)),
    broadcastDeliveriesPerSec: m((r) => r.scale?.deliveriesPerSec),
    broadcastP50: m((r) => r.scale?.latencyMs.p50),
    broadcastP99: m((r) => r.scale?.latencyMs.p99),
    ...(completes.length ? { complete: Math.min(...completes) } : {}),
    ...(limit ? { limit } : {}),
    ...(worstRealistic(runs) ? { realistic: worstRealistic(runs)! } : {}),
  };
}

function worstRealistic(runs: readonly SystemResult[]): RealisticResult | undefined {
  const phases = runs.flatMap((r) => (r.scale?.realistic ? [r.scale.realistic] : []));
  return phases.sort((a, b) => a.received / Math.max(1, a.expected) - b.received / Math.max(1, b.expected))[0];
}

const ratio = (a: number | undefined, b: number | undefined): number | undefined => (a !== undefined && b !== undefined && b > 0 ? Math.round((a / b) * 100) / 100 : undefined);

/** Lowest and highest of `pick(odin run k, peer run k)` over the runs both completed; undefined with fewer than two. */
function perRunSpread(results: readonly SystemResult[], scenario: string, odinName: string, peer: string, pick: (odin: SystemResult, peer: SystemResult) => number | undefined): [number, number] | undefined {
  const byRun = (system: string): Map<number, SystemResult> => new Map(results.filter((r) => r.scenario === scenario && r.system === system && r.status === 'ok' && r.run !== undefined).map((r) => [r.run!, r]));
  const odinRuns = byRun(odinName);
  const peerRuns = byRun(peer);
  const values = defined([...odinRuns].map(([run, o]) => (peerRuns.has(run) ? pick(o, peerRuns.get(run)!) : undefined)));
  return values.length >= 2 ? [Math.min(...values), Math.max(...values)] : undefined;
}

export function odinRatios(rows: readonly SummaryRow[], odinName = 'odin', results: readonly SystemResult[] = []): Ratio[] {
  const out: Ratio[] = [];
  for (const odin of rows.filter((r) => r.system === odinName && r.status === 'ok')) {
    // ws-deflate is Odin compressed's peer: see compressionRatios.
    for (const peer of rows.filter((r) => r.scenario === odin.scenario && r.system !== odinName && !r.system.startsWith('odin') && r.system !== 'ws-deflate' && r.status === 'ok')) {
      out.push({
        scenario: odin.scenario,
        peer: peer.system,
        maxDeliveries: ratio(odin.maxDeliveriesPerSec, peer.maxDeliveriesPerSec),
        p99: ratio(peer.p99, odin.p99),
        rssPerConnection: ratio(peer.rssPerConnectionKiB, odin.rssPerConnectionKiB),
        ...(odin.pinnedP99 !== undefined && peer.pinnedP99 !== undefined ? { pinnedP99: ratio(peer.pinnedP99, odin.pinnedP99) } : {}),
        ...withoutUndefined({
          maxDeliveriesSpread: perRunSpread(results, odin.scenario, odinName, peer.system, (o, p) => ratio(o.max?.deliveriesPerSec, p.max?.deliveriesPerSec)),
          p99Spread: perRunSpread(results, odin.scenario, odinName, peer.system, (o, p) => ratio(p.fixed?.latencyMs.p99, o.fixed?.latencyMs.p99)),
        }),
      });
    }
  }
  return out;
}

export function compressionRatios(rows: readonly SummaryRow[]): CompressionRatio[] {
  const out: CompressionRatio[] = [];
  for (const deflate of rows.filter((r) => r.system === 'odin-deflate' && r.status === 'ok' && (r.bytesPerDelivery !== undefined || r.maxDeliveriesPerSec !== undefined))) {
    const find = (system: string): SummaryRow | undefined => rows.find((r) => r.scenario === deflate.scenario && r.system === system && r.status === 'ok');
    const odin = find('odin');
    const ws = find('ws-deflate');
    out.push({
      scenario: deflate.scenario,
      bytesSaved: ratio(odin?.bytesPerDelivery, deflate.bytesPerDelivery),
      bytesSavedAtMax: ratio(odin?.bytesPerDeliveryAtMax, deflate.bytesPerDeliveryAtMax),
      maxVsOdin: ratio(deflate.maxDeliveriesPerSec, odin?.maxDeliveriesPerSec),
      maxVsWsDeflate: ratio(deflate.maxDeliveriesPerSec, ws?.maxDeliveriesPerSec),
    });
  }
  return out;
}
