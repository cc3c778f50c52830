// A load-generator thread: opens its share of the benchmark's connections
// (a bounded number of handshakes in flight), keeps them open (reconnecting
// any the server drops), and reports counts, sampled latency and how busy its
// event loop was over a measurement window. Runs as a worker thread of the
// benchmark (the default) or as a child process of its own (the scale
// scenario: file descriptors are counted per process, and a child can be
// started with a higher limit), speaking the same messages either way.
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { BenchConnection, WorkerCounters, type ConnectionSpec } from './bench-connection.js';
import type { ClientKind } from './bench-systems.js';
import { preciseNowMs } from '../load/latency-recorder.js';

export interface WorkerInput {
  kind: ClientKind;
  connections: ConnectionSpec[];
}

export type PoolToWorker =
  | { type: 'start'; input: WorkerInput }
  | { type: 'measure-start' }
  | { type: 'measure-stop' }
  | { type: 'count' }
  | { type: 'broadcast-start' }
  | { type: 'coverage'; expected: number }
  | { type: 'close' };

export interface WorkerMeasurement {
  received: number;
  /** Bytes read from the sockets over the window. */
  bytes: number;
  /** The window as this thread saw it: rates are computed per thread, free of messaging delays. */
  seconds: number;
  histogram: string;
  gaps: number;
  eventLoopUtilization: number;
  closes: number;
}

/** The slow readers' counts (ConnectionSpec.readPerSec). */
export interface SlowReaderCount {
  ready: number;
  received: number;
  conflating: number;
  closes: Record<string, number>;
  /** The oldest, over connected slow readers, of the newest value each has read: now - its publish time, ms (0: none connected). */
  maxLagMs: number;
}

export type WorkerToPool =
  | { type: 'settled'; ready: number; failed: number; errors: Record<string, number> }
  | { type: 'count'; received: number; bytes: number; ready: number; closes: number; gaps: number; slow: SlowReaderCount }
  | { type: 'measured'; measurement: WorkerMeasurement }
  | { type: 'coverage'; complete: number; ready: number; lastDeliveryAt: number }
  | { type: 'closed' };

/** How a worker talks to the pool: a thread's port or a child process's IPC channel. */
export interface PoolPort {
  postMessage(message: WorkerToPool): void;
  on(event: 'message', listener: (m: PoolToWorker) => void): void;
}

const MAX_HANDSHAKES_IN_FLIGHT = 200;
/** A lost connection comes back after this, plus up to as much again at random (a storm of reconnects must not arrive at once). */
const RECONNECT_DELAY_MS = 200;

function run(input: WorkerInput, port: PoolPort): void {
  const counters = new WorkerCounters();
  const connections = input.connections.map((spec) => new BenchConnection(input.kind, spec, counters));
  let next = 0;
  let inFlight = 0;
  let settled = 0;
  let closing = false;
  /**
   * Lost connections waiting for a handshake slot. Reconnects share the
   * first opens' limit: on a starved box, connections the gateway refused
   * (its pending-handshake cap, its deadline) coming back all at once, each
   * after a fixed delay, only made the next storm bigger.
   */
  const reconnects: BenchConnection[] = [];

  const reconnect = (conn: BenchConnection): void => {
    if (closing) return;
    setTimeout(
      () => {
        if (closing) return;
        reconnects.push(conn);
        openMore();
      },
      RECONNECT_DELAY_MS * (1 + Math.random()),
    );
  };
  const firstSettled = (): void => {
    settled++;
    if (settled === connections.length) {
      port.postMessage({ type: 'settled', ready: counters.ready + counters.slow.ready, failed: counters.failed, errors: Object.fromEntries(counters.errors) } satisfies WorkerToPool);
    }
  };
  /** One attempt, holding a handshake slot until it is subscribed or has failed. */
  const attempt = (conn: BenchConnection, first: boolean): void => {
    inFlight++;
    let once = false;
    conn.onLost = undefined;
    conn.onSettled = () => {
      if (once) return;
      once = true;
      inFlight--;
      if (first) firstSettled();
      // From now on a lost connection comes back (a slow-client close, a refused attempt).
      conn.onLost = reconnect;
      openMore();
    };
    conn.connect();
  };
  const openMore = (): void => {
    while (inFlight < MAX_HANDSHAKES_IN_FLIGHT && !closing) {
      const retry = reconnects.shift();
      if (retry) attempt(retry, false);
      else if (next < connections.length) attempt(connections[next++]!, true);
      else break;
    }
  };
  if (connections.length === 0) port.postMessage({ type: 'settled', ready: 0, failed: 0, errors: {} } satisfies WorkerToPool);
  openMore();

  const countMessage = (): WorkerToPool => {
    const slow = counters.slow;
    const now = preciseNowMs();
    let maxLagMs = 0;
    for (const c of connections) if (c.spec.readPerSec !== undefined && c.isReady && c.newestReadTs > 0) maxLagMs = Math.max(maxLagMs, now - c.newestReadTs);
    return {
      type: 'count',
      received: counters.received,
      bytes: counters.bytes,
      ready: counters.ready,
      closes: counters.closes,
      gaps: counters.gaps,
      slow: { ready: slow.ready, received: slow.received, conflating: slow.conflating, closes: Object.fromEntries(slow.closes), maxLagMs: Math.round(maxLagMs) },
    };
  };

  let eluStart = performance.eventLoopUtilization();
  let receivedStart = 0;
  let bytesStart = 0;
  let gapsStart = 0;
  let closesStart = 0;
  let measureStartedAt = 0;
  const startMeasuring = (): void => {
    counters.latency.reset();
    counters.measuring = true;
    eluStart = performance.eventLoopUtilization();
    receivedStart = counters.received;
    bytesStart = counters.bytes;
    gapsStart = counters.gaps;
    closesStart = counters.closes;
    measureStartedAt = performance.now();
  };
  port.on('message', (m: PoolToWorker) => {
    if (m.type === 'measure-start') {
      startMeasuring();
    } else if (m.type === 'measure-stop') {
      counters.measuring = false;
      const elu = performance.eventLoopUtilization(eluStart);
      const measurement: WorkerMeasurement = {
        received: counters.received - receivedStart,
        bytes: counters.bytes - bytesStart,
        seconds: (performance.now() - measureStartedAt) / 1000,
        histogram: counters.latency.encode(),
        gaps: counters.gaps - gapsStart,
        eventLoopUtilization: elu.utilization,
        closes: counters.closes - closesStart,
      };
      port.postMessage({ type: 'measured', measurement } satisfies WorkerToPool);
    } else if (m.type === 'count') {
      port.postMessage(countMessage());
    } else if (m.type === 'broadcast-start') {
      // From here, every connection must receive every broadcast message: count afresh, stamp the last arrival.
      for (const c of connections) c.delivered = 0;
      counters.stampDeliveries = true;
      counters.lastDeliveryAt = 0;
      startMeasuring();
      port.postMessage(countMessage());
    } else if (m.type === 'coverage') {
      let complete = 0;
      for (const c of connections) if (c.isReady && c.delivered >= m.expected) complete++;
      port.postMessage({ type: 'coverage', complete, ready: counters.ready, lastDeliveryAt: counters.lastDeliveryAt } satisfies WorkerToPool);
    } else if (m.type === 'close') {
      closing = true;
      for (const c of connections) c.close();
      port.postMessage({ type: 'closed' } satisfies WorkerToPool);
    }
  });
}

if (parentPort) {
  run(workerData as WorkerInput, parentPort);
} else if (process.send) {
  // A child process: the connections come in the first message; exit with the pool.
  const port: PoolPort = {
    postMessage: (m) => void process.send?.(m),
    on: (_event, listener) => void process.on('message', listener as (m: unknown) => void),
  };
  process.once('message', (m: PoolToWorker) => {
    if (m.type === 'start') run(m.input, port);
  });
  process.on('disconnect', () => process.exit(0));
}
