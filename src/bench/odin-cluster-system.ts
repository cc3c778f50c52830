// The scale course's Odin: `odin gateway --workers N` as an operator runs it,
// over a nats-server started here (JetStream, memory storage), with as many
// workers as the wanted connections need under each process's open-file
// limit; a separate publisher child publishes into the stream. The workers
// run with --expose-gc, so that SIGUSR2 asks each for a full collection before
// its RSS is read (commands/gateway.ts; nothing listens for it otherwise).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { fileBudget } from '../gateway/file-limit.js';
import type { RunningSystem, StartOptions, SystemSpec } from './bench-systems.js';
import { ServerChild } from './bench-systems.js';
import { stopChild, trackChild } from './child-registry.js';
import { startNatsServer } from './nats-server-process.js';
import { openFileLimits } from './os-limits.js';

const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));
/** Memory budget per worker: generous, so that the open-file limit, not the memory budget, bounds each worker. */
const WORKER_MEMORY_MB = 2048;
const MAX_WORKERS = 64;
/**
 * The share of each worker's capacity the course plans to fill. The primary
 * hands each connection to whichever worker is free first, so a connection
 * storm does not fill the workers evenly: 30,000 over two workers of 15,961
 * had 91 refused at capacity (503) while the other worker had room.
 */
const WORKER_FILL = 0.9;
/**
 * V8's young generation per worker, as docs/scaling.md recommends for
 * connection-dense workers: with V8's default (16 MiB semi-spaces on Node
 * 20, larger on Node 24) most of a worker's RSS per connection is young
 * generation slack, not live objects (30,000 connections on Node 24: 12.1 KiB
 * per connection by default, 5.55 KiB with this).
 */
export const WORKER_NODE_FLAGS = ['--max-semi-space-size=2'];

/**
 * The keepalive sweep's interval in the course. Here the clients run on the
 * same 2 cores as 14 workers: a worker whose event loop is far behind
 * judges a pong still unread in its socket as silence. A 200,000 run at the
 * default 25 s on the box shared with other builds (load 35) lost tens of
 * thousands of live connections at once, which came back and starved
 * everything again; this is the likely cause (not proven: that run counted
 * no keepalive events; the course now does). A slower sweep keeps dead-peer
 * detection without measuring the box's scheduling.
 */
const SCALE_PING_INTERVAL_MS = 120_000;

/** Workers needed for `connections`, each filled to WORKER_FILL of what its open-file limit allows. */
export function workersFor(connections: number, maxWorkers = MAX_WORKERS, openFiles = openFileLimits()?.soft): { workers: number; perWorker: number } {
  const perWorker = fileBudget(openFiles).maxConnections;
  const workers = Number.isFinite(perWorker) ? Math.min(maxWorkers, Math.max(1, Math.ceil(connections / (perWorker * WORKER_FILL)))) : 1;
  return { workers, perWorker };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Starts the gateway cluster; resolves once every worker has logged gateway_started. */
/** Counts the event of each warning or error line (the `level` label warn or error) in a chunk of the JSON log, and each keepalive timeout (logged at info); a line split across chunks may be missed. */
function countWarnings(chunk: string, events: Map<string, number>): void {
  for (const m of chunk.matchAll(/^\{"level":"(?:warn|error)",.*?"event":"([a-z_]+)"|"event":"(keepalive_timeout)"/gm)) {
    const event = (m[1] ?? m[2])!;
    events.set(event, (events.get(event) ?? 0) + 1);
  }
}

async function startCluster(natsUrl: string, stream: string, workers: number, port: number, reusePort: boolean): Promise<{ primary: ChildProcess; workerPids: number[]; events: Map<string, number> }> {
  const events = new Map<string, number>();
  // Node flags given to the primary are every worker's too (cluster forks with the primary's execArgv).
  const args = ['--expose-gc', ...WORKER_NODE_FLAGS, CLI, 'gateway', '--host', '127.0.0.1', '--port', String(port), '--nats', natsUrl, '--nats-stream', stream, '--nats-storage', 'memory',
    '--workers', String(Math.max(2, workers)), '--memory-limit-mb', String(WORKER_MEMORY_MB * Math.max(2, workers)), '--drain-seconds', '0', '--shutdown-timeout-ms', '0', '--log-level', 'info',
    '--ping-interval-ms', String(SCALE_PING_INTERVAL_MS), ...(reusePort ? ['--reuse-port'] : [])];
  const primary = trackChild(spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let stderr = '';
  primary.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
  const workerPids: number[] = [];
  let partial = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`odin gateway --workers ${workers}: ${workerPids.length} workers started within 120 s; ${stderr}`)), 120_000);
    primary.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`odin gateway exited (${code}) while starting: ${stderr}`));
    });
    const onData = (chunk: Buffer): void => {
      partial += chunk.toString();
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        if (!line.includes('"gateway_started"')) continue;
        workerPids.push(Number((JSON.parse(line) as { pid: number }).pid));
        if (workerPids.length === Math.max(2, workers)) {
          clearTimeout(timer);
          primary.stdout!.off('data', onData);
          // The rest of the log (a line per closed connection) is read for its warnings and errors only.
          primary.stdout!.on('data', (c: Buffer) => countWarnings(c.toString(), events));
          resolve();
        }
      }
    };
    primary.stdout!.on('data', onData);
  });
  return { primary, workerPids, events };
}

async function stopCluster(primary: ChildProcess, workerPids: readonly number[]): Promise<void> {
  // Killed outright: a drain of 200,000 connections would only measure the teardown.
  for (const pid of workerPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  primary.kill('SIGKILL');
  await stopChild(primary, 1000);
}

/** The cluster as `odin gateway --workers N` runs it: the primary accepts and hands connections over (Node's cluster default), or each worker binds the port itself (--reuse-port). */
function clusterSystem(name: string, reusePort: boolean): SystemSpec {
  return {
    name,
    description: reusePort
      ? 'the same cluster with --reuse-port: each worker binds the port itself (SO_REUSEPORT; the kernel spreads connections) instead of the primary accepting for all (Node 22.12+ or 23.1+)'
      : `\`node ${WORKER_NODE_FLAGS.join(' ')} odin gateway --workers N\` over NATS (JetStream, memory storage): as many workers as the connections need under the open-file limit, each filled to ${WORKER_FILL * 100}%; a publisher process publishing into the stream`,
    kind: 'odin',
    async start(options: StartOptions): Promise<RunningSystem> {
      const { workers } = workersFor(options.connections ?? 1, Math.min(MAX_WORKERS, options.maxWorkers ?? MAX_WORKERS));
      const nats = await startNatsServer({ jetstream: true });
      const stream = `BENCH${process.pid}`;
      let cluster: Awaited<ReturnType<typeof startCluster>> | undefined;
      try {
        const port = await freePort();
        cluster = await startCluster(nats.tcpUrl, stream, workers, port, reusePort);
        const { server } = await ServerChild.fork('odin-nats-publisher', [nats.tcpUrl, stream, String(port)]);
        const running = cluster;
        return {
          name,
          kind: 'odin',
          serverPid: running.workerPids[0]!,
          serverPids: running.workerPids,
          gatewayEvents: () => Object.fromEntries(running.events),
          pids: [running.primary.pid!, ...running.workerPids, nats.pid, server.child.pid!],
          deflate: false,
          urlFor: () => `ws://127.0.0.1:${port}/ws`,
          setRate: (perSec, channels) => server.send({ type: 'rate', perSec, channels }),
          publishedPerChannel: () => server.published(),
          burst: (channel, count) => server.burst(channel, count),
          // The workers' counters are in their own processes (their /metrics); the slow-consumers course runs the single-process gateway.
          slowClientStats: () => Promise.resolve({ conflated: 0, closed: 0, active: 0 }),
          async collectGarbage() {
            for (const pid of running.workerPids) {
              try {
                process.kill(pid, 'SIGUSR2');
              } catch {
                // a worker that is gone has no garbage
              }
            }
            // No answer comes back over a signal: a full GC of a few hundred MiB takes well under this.
            await new Promise((r) => setTimeout(r, 1500));
          },
          async stop() {
            await stopChild(server.child);
            await stopCluster(running.primary, running.workerPids);
            await nats.stop();
          },
        };
      } catch (err) {
        if (cluster) await stopCluster(cluster.primary, cluster.workerPids);
        await nats.stop();
        throw err;
      }
    },
  };
}

export const ODIN_CLUSTER = clusterSystem('odin-cluster', false);
export const ODIN_CLUSTER_REUSE_PORT = clusterSystem('odin-cluster-reuseport', true);
