// The parent's side of the load generator: spreads connections over worker
// threads or child processes (and over 127.0.0.x source addresses), waits
// until every connection is subscribed, and gathers counts, bytes and
// latency from all workers.
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { LatencyRecorder } from '../load/latency-recorder.js';
import { sourceAddresses, sourceAddressFor } from '../load/source-addresses.js';
import type { ConnectionSpec } from './bench-connection.js';
import type { RunningSystem } from './bench-systems.js';
import { trackChild } from './child-registry.js';
import type { PoolToWorker, SlowReaderCount, WorkerInput, WorkerMeasurement, WorkerToPool } from './client-worker.js';
import { forkWithFdLimit } from './os-limits.js';

export interface PoolMeasurement {
  received: number;
  /** Bytes read from the sockets over the window (all workers). */
  bytes: number;
  /** Deliveries per second: each thread's count over its own window, summed. */
  perSecond: number;
  latency: LatencyRecorder;
  gaps: number;
  /** Event-loop utilisation of each generator thread over the window (1 = saturated). */
  generatorUtilization: number[];
  closes: number;
}

export interface PoolOptions {
  /** The channels of each client (subscribed by name), one entry per client. */
  plan: readonly (readonly string[])[];
  /** Per client: read at most this many messages per second (a slow reader), or undefined. */
  readPerSec?: readonly (number | undefined)[];
  workers: number;
  /** Every n-th connection reads payloads for latency and continuity. */
  sampleEvery: number;
  /** Workers as child processes (each with its own file-descriptor limit) instead of threads. */
  processes?: boolean;
  /** Open-file limit to ask for in each worker process. */
  fdLimit?: number;
}

const WORKER_SCRIPT = new URL('./client-worker.js', import.meta.url);

class WorkerHandle {
  private readonly waiters: Array<(m: WorkerToPool) => boolean> = [];
  constructor(readonly worker: Worker | ChildProcess) {
    worker.on('message', (m: WorkerToPool) => {
      const i = this.waiters.findIndex((w) => w(m));
      if (i >= 0) this.waiters.splice(i, 1);
    });
  }

  static thread(input: WorkerInput): WorkerHandle {
    return new WorkerHandle(new Worker(WORKER_SCRIPT, { workerData: input }));
  }

  static process(input: WorkerInput, fdLimit: number | undefined): WorkerHandle {
    const child = trackChild(forkWithFdLimit(fileURLToPath(WORKER_SCRIPT), [], fdLimit, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
    const handle = new WorkerHandle(child);
    handle.post({ type: 'start', input });
    return handle;
  }

  get pid(): number {
    return this.worker instanceof Worker ? process.pid : this.worker.pid!;
  }

  post(message: PoolToWorker): void {
    if (this.worker instanceof Worker) this.worker.postMessage(message);
    else if (this.worker.connected) this.worker.send(message);
  }

  async terminate(): Promise<void> {
    if (this.worker instanceof Worker) {
      await this.worker.terminate();
      return;
    }
    const child = this.worker;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }
  ask<T extends WorkerToPool['type']>(message: PoolToWorker | undefined, type: T, timeoutMs = 20_000): Promise<Extract<WorkerToPool, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`generator worker did not answer ${type}`)), timeoutMs);
      this.waiters.push((m) => {
        if (m.type !== type) return false;
        clearTimeout(timer);
        resolve(m as Extract<WorkerToPool, { type: T }>);
        return true;
      });
      if (message) this.post(message);
    });
  }
}

export class ClientPool {
  private constructor(
    private readonly handles: WorkerHandle[],
    readonly ready: number,
    readonly failed: number,
    readonly errors: Record<string, number>,
  ) {}

  /** Opens a connection per client of the plan to `system`, subscribed to its channels; resolves when all settled. */
  static async open(system: RunningSystem, options: PoolOptions, timeoutMs = 120_000): Promise<ClientPool> {
    const clients = options.plan.length;
    // Fresh source addresses per run: the previous system's TIME_WAIT ports stay out of the way.
    const addresses = sourceAddresses('127.0.0.1', clients, undefined, clients >= 2000);
    const perWorker: ConnectionSpec[][] = Array.from({ length: options.workers }, () => []);
    for (let i = 0; i < clients; i++) {
      const channels = [...options.plan[i]!];
      const localAddress = sourceAddressFor(addresses, i);
      const readPerSec = options.readPerSec?.[i];
      // Slow readers are never sampled: the latency and continuity figures are the other clients'.
      perWorker[i % options.workers]!.push({
        url: system.urlFor(channels),
        channels,
        sampled: readPerSec === undefined && i % options.sampleEvery === 0,
        ...(system.deflate ? { deflate: true } : {}),
        ...(localAddress ? { localAddress } : {}),
        ...(readPerSec !== undefined ? { readPerSec } : {}),
      });
    }
    const handles = perWorker.map((connections) => (options.processes ? WorkerHandle.process({ kind: system.kind, connections }, options.fdLimit) : WorkerHandle.thread({ kind: system.kind, connections })));
    try {
      const settled = await Promise.all(handles.map((h) => h.ask(undefined, 'settled', timeoutMs)));
      const errors: Record<string, number> = {};
      for (const s of settled) for (const [k, v] of Object.entries(s.errors)) errors[k] = (errors[k] ?? 0) + v;
      return new ClientPool(
        handles,
        settled.reduce((n, s) => n + s.ready, 0),
        settled.reduce((n, s) => n + s.failed, 0),
        errors,
      );
    } catch (err) {
      await Promise.all(handles.map((h) => h.terminate()));
      throw err;
    }
  }

  /** Counts over every worker; `slow`: the slow readers' own (they are not in the others). */
  async counts(): Promise<{ received: number; bytes: number; ready: number; closes: number; gaps: number; slow: SlowReaderCount }> {
    const all = await Promise.all(this.handles.map((h) => h.ask({ type: 'count' }, 'count')));
    const sum = (pick: (c: (typeof all)[number]) => number): number => all.reduce((n, c) => n + pick(c), 0);
    const closes: Record<string, number> = {};
    for (const c of all) for (const [code, n] of Object.entries(c.slow.closes)) closes[code] = (closes[code] ?? 0) + n;
    return {
      received: sum((c) => c.received),
      bytes: sum((c) => c.bytes),
      ready: sum((c) => c.ready),
      closes: sum((c) => c.closes),
      gaps: sum((c) => c.gaps),
      slow: { ready: sum((c) => c.slow.ready), received: sum((c) => c.slow.received), conflating: sum((c) => c.slow.conflating), closes, maxLagMs: Math.max(0, ...all.map((c) => c.slow.maxLagMs)) },
    };
  }

  /** The processes generating load (the benchmark itself when the workers are threads), for CPU pinning. */
  get pids(): number[] {
    return [...new Set(this.handles.map((h) => h.pid))];
  }

  startMeasuring(): void {
    for (const h of this.handles) h.post({ type: 'measure-start' });
  }

  /** From now on every connection counts afresh and the last arrival is stamped. */
  async startBroadcast(): Promise<void> {
    // Each worker answers once it has reset: nothing is published before.
    await Promise.all(this.handles.map((h) => h.ask({ type: 'broadcast-start' }, 'count')));
  }

  /** Connections that have received at least `expected` broadcast messages, and when the last one arrived (epoch ms). */
  async coverage(expected: number): Promise<{ complete: number; ready: number; lastDeliveryAt: number }> {
    const all = await Promise.all(this.handles.map((h) => h.ask({ type: 'coverage', expected }, 'coverage')));
    return { complete: all.reduce((n, c) => n + c.complete, 0), ready: all.reduce((n, c) => n + c.ready, 0), lastDeliveryAt: Math.max(...all.map((c) => c.lastDeliveryAt)) };
  }

  async stopMeasuring(): Promise<PoolMeasurement> {
    const all: WorkerMeasurement[] = (await Promise.all(this.handles.map((h) => h.ask({ type: 'measure-stop' }, 'measured')))).map((m) => m.measurement);
    const latency = new LatencyRecorder();
    for (const m of all) latency.addEncoded(m.histogram);
    return {
      received: all.reduce((n, m) => n + m.received, 0),
      bytes: all.reduce((n, m) => n + m.bytes, 0),
      perSecond: all.reduce((n, m) => n + m.received / Math.max(0.001, m.seconds), 0),
      latency,
      gaps: all.reduce((n, m) => n + m.gaps, 0),
      generatorUtilization: all.map((m) => Math.round(m.eventLoopUtilization * 100) / 100),
      closes: all.reduce((n, m) => n + m.closes, 0),
    };
  }

  /** Waits until deliveries stop arriving (quiet for `quietMs`), at most `maxMs`; true when drained. */
  async drain(quietMs = 300, maxMs = 8000): Promise<boolean> {
    const deadline = Date.now() + maxMs;
    let last = (await this.counts()).received;
    let quietSince = Date.now();
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      const now = (await this.counts()).received;
      if (now !== last) {
        last = now;
        quietSince = Date.now();
      } else if (Date.now() - quietSince >= quietMs) {
        return true;
      }
    }
    return false;
  }

  /** Waits until `expected` connections are ready again (after drops), at most `maxMs`. */
  async waitReady(expected: number, maxMs = 10_000): Promise<number> {
    const deadline = Date.now() + maxMs;
    for (;;) {
      const { ready } = await this.counts();
      if (ready >= expected || Date.now() > deadline) return ready;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async close(): Promise<void> {
    await Promise.all(
      this.handles.map(async (h) => {
        await h.ask({ type: 'close' }, 'closed', 10_000).catch(() => undefined);
        await h.terminate();
      }),
    );
  }
}
