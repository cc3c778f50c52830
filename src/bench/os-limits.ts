// What the machine allows the benchmark: open files per process (the scale
// scenario holds one descriptor per connection on each side) and CPU
// affinity (the pinned measurement puts the server under test and the load
// generator on separate cores with util-linux `taskset`).
import { fork, spawnSync, type ChildProcess, type ForkOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Soft and hard open-file limits of a process (Linux /proc/PID/limits); undefined where unreadable. */
export function openFileLimits(pid: number | 'self' = 'self'): { soft: number; hard: number } | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    if (!m) return undefined;
    const n = (v: string): number => (v === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(v));
    return { soft: n(m[1]!), hard: n(m[2]!) };
  } catch {
    return undefined;
  }
}

/**
 * Forks a Node script with its open-file limit raised to `fdLimit` where the
 * hard limit allows (through `bash -c 'ulimit -n N; exec ...'`, falling back to
 * the hard limit), IPC as with a plain fork. Without a limit: a plain fork.
 */
export function forkWithFdLimit(script: string, args: string[], fdLimit: number | undefined, options: ForkOptions & { execArgv?: string[] }): ChildProcess {
  if (fdLimit === undefined || process.platform !== 'linux') return fork(script, args, options);
  const raise = `ulimit -n ${Math.floor(fdLimit)} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"`;
  return fork(script, args, { ...options, execPath: 'bash', execArgv: ['-c', raise, 'odin-bench', process.execPath, ...(options.execArgv ?? [])] });
}

/** Why the pinned measurement cannot run here, or undefined when it can. */
export function pinningUnavailable(): string | undefined {
  if (availableParallelism() < 2) return `one core only (${availableParallelism()})`;
  const probe = spawnSync('taskset', ['-p', String(process.pid)], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return 'taskset (util-linux) not found or not permitted';
  return undefined;
}

/** Sets the CPU affinity of every thread of each process (taskset -a -p); throws with taskset's message on failure. */
export function pinProcesses(pids: readonly number[], cpus: string): void {
  for (const pid of pids) {
    const r = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { encoding: 'utf8' });
    if (r.error || r.status !== 0) throw new Error(`taskset -a -p -c ${cpus} ${pid}: ${r.error?.message ?? r.stderr.trim()}`);
  }
}

/** The CPUs a process may run on, as taskset prints them ("0-3", "0,2"); undefined where unknown. */
export function affinityList(pid: number): string | undefined {
  const r = spawnSync('taskset', ['-c', '-p', String(pid)], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return /list:\s*(\S+)/.exec(r.stdout)?.[1];
}

/** Expands a CPU list ("0-2,5") into its CPU numbers. */
export function expandCpuList(list: string): number[] {
  const out: number[] = [];
  for (const part of list.split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || Number.isNaN(a)) continue;
    for (let c = a; c <= (b ?? a); c++) out.push(c);
  }
  return out;
}

/** Splits the CPUs this process may use: the first for the server under test, the others for the generator. */
export function splitCores(list: string): { server: string; generator: string } | undefined {
  const cpus = expandCpuList(list);
  if (cpus.length < 2) return undefined;
  return { server: String(cpus[0]), generator: cpus.slice(1).join(',') };
}
