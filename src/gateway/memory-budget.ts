// The memory budget and the connection limit derived from it. The reference
// budgeted 180 KiB per connection; an idle Odin connection costs a few KiB
// (BENCHMARKS.md), so the default budget is 16 KiB, leaving room for queues.
import { readFileSync } from 'node:fs';

const RESERVED_BYTES = 128 * 1024 * 1024; // runtime, heap, history: as the reference reserved
const DEFAULT_LIMIT_MB = 512;
export const MIN_CONNECTIONS = 100;
export const MAX_DERIVED_CONNECTIONS = 200_000;

/** The cgroup (v2 or v1) memory limit in bytes, or undefined when unlimited or absent. */
export function cgroupMemoryLimit(): number | undefined {
  for (const path of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const text = readFileSync(path, 'utf8').trim();
      if (text === 'max') return undefined;
      const n = Number(text);
      // v1 reports "unlimited" as a huge number near 2^63.
      if (Number.isFinite(n) && n > 0 && n < 2 ** 60) return n;
    } catch {
      // not present: try the next
    }
  }
  return undefined;
}

export interface MemoryBudget {
  limitBytes: number;
  source: 'configured' | 'cgroup' | 'default';
}

export function memoryBudget(configuredMb: number): MemoryBudget {
  if (configuredMb > 0) return { limitBytes: configuredMb * 1024 * 1024, source: 'configured' };
  const cgroup = cgroupMemoryLimit();
  if (cgroup !== undefined) return { limitBytes: cgroup, source: 'cgroup' };
  return { limitBytes: DEFAULT_LIMIT_MB * 1024 * 1024, source: 'default' };
}

/** (budget - reserve) / per-connection budget, clamped; or the explicit limit when set. */
export function maxConnectionsFor(explicit: number, budget: MemoryBudget, perConnectionKb: number): number {
  if (explicit > 0) return explicit;
  const derived = Math.floor((budget.limitBytes - RESERVED_BYTES) / (perConnectionKb * 1024));
  return Math.max(MIN_CONNECTIONS, Math.min(MAX_DERIVED_CONNECTIONS, derived));
}
