// Memory pressure, as /readyz reports it (reason `memory_pressure`, with
// `memory` saying why): a load balancer should send new clients elsewhere
// before this instance runs out, not after. Three signals, each with its own
// threshold (docs/operations.md, "Readiness and memory"):
// - the resident set at 90% of the memory budget or more (the threshold at
//   which /health calls memory unhealthy);
// - the V8 heap at 90% of its limit or more (past it the process dies with
//   "heap out of memory", whatever the budget says);
// - the memory broker's kept history more than 25% over --history-max-bytes:
//   eviction keeps it at the bound, except that the newest message of every
//   channel stays, so many channels can hold it over; at that point eviction
//   no longer relieves memory.
import { getHeapStatistics } from 'node:v8';
import { HEALTH_THRESHOLDS } from './health-report.js';

export const RSS_PRESSURE_RATIO = HEALTH_THRESHOLDS.memory.error / 100;
export const HEAP_PRESSURE_RATIO = 0.9;
export const HISTORY_PRESSURE_RATIO = 1.25;

export interface MemoryReading {
  rssBytes: number;
  memoryLimitBytes: number;
  heapUsedBytes: number;
  heapLimitBytes: number;
  /** The memory broker's kept history and its bound; absent for other brokers. */
  history?: { bytes: number; maxBytes: number } | undefined;
}

/** Reads the process now (rss and heap statistics are cheap: no GC, no walk of the heap). */
export function readMemory(memoryLimitBytes: number, history: MemoryReading['history']): MemoryReading {
  const heap = getHeapStatistics();
  return { rssBytes: process.memoryUsage.rss(), memoryLimitBytes, heapUsedBytes: heap.used_heap_size, heapLimitBytes: heap.heap_size_limit, history };
}

const mib = (bytes: number): string => `${Math.round(bytes / 1048576)} MiB`;

/** Why this reading is memory pressure, one clause per signal over its threshold; undefined when none is. */
export function memoryPressure(r: MemoryReading): string | undefined {
  const why: string[] = [];
  if (r.memoryLimitBytes > 0 && r.rssBytes >= r.memoryLimitBytes * RSS_PRESSURE_RATIO) {
    why.push(`resident memory ${mib(r.rssBytes)} of the ${mib(r.memoryLimitBytes)} budget (MEMORY_LIMIT_MB)`);
  }
  if (r.heapLimitBytes > 0 && r.heapUsedBytes >= r.heapLimitBytes * HEAP_PRESSURE_RATIO) {
    why.push(`V8 heap ${mib(r.heapUsedBytes)} of its ${mib(r.heapLimitBytes)} limit`);
  }
  if (r.history && r.history.bytes > r.history.maxBytes * HISTORY_PRESSURE_RATIO) {
    why.push(`kept history ${mib(r.history.bytes)}, over its ${mib(r.history.maxBytes)} bound (HISTORY_MAX_BYTES) by more than 25%`);
  }
  return why.length > 0 ? why.join('; ') : undefined;
}
