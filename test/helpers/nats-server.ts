// Starts real nats-server processes for tests: on free ports (`port: -1` and
// `ports_file_dir`, as nats.js's own test launcher does), with a fresh
// JetStream store in a temporary directory. A server can be killed and
// restarted on the same ports and store; three can form a JetStream cluster.
// The nats-server that may already run on 4222 is never used.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, copyFileSync, existsSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export class NatsServerNotFoundError extends Error {
  override name = 'NatsServerNotFoundError';
}

export class NatsServerStartError extends Error {
  override name = 'NatsServerStartError';
}

/** The nats-server binary: NATS_SERVER_BIN, else the first on PATH. */
export function natsServerBinary(): string {
  const fromEnv = process.env.NATS_SERVER_BIN;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new NatsServerNotFoundError(`NATS_SERVER_BIN=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'nats-server');
    if (dir && isExecutable(candidate)) return candidate;
  }
  throw new NatsServerNotFoundError(
    'nats-server (>= 2.10) was not found: set NATS_SERVER_BIN or put it on PATH. Install it with: bash .ci/install-system-deps.sh',
  );
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * `count` distinct TCP ports that were free a moment ago (for configs that
 * must name their ports up front). All are held open until all are picked,
 * so none is handed out twice.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = [];
  const ports: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      const address = server.address();
      ports.push(typeof address === 'object' && address ? address.port : 0);
    }
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
  return ports;
}

export interface NatsServerOptions {
  /** Client port; -1 (default) lets the server pick. */
  port?: number;
  /** Monitoring port; -1 (default) lets the server pick. */
  httpPort?: number;
  serverName?: string;
  cluster?: { name: string; port: number; routes: number[] };
  /** A config file to include (e.g. deploy/nats/auth.conf: users and permissions). */
  include?: string;
  /** Extra environment for the server (variables the included file refers to). */
  env?: Record<string, string>;
}

const running = new Set<NatsServer>();
process.on('exit', () => {
  // Last resort when a test dies before its cleanup: never leave servers behind.
  for (const server of running) server.child?.kill('SIGKILL');
});

export class NatsServer {
  child: ChildProcess | undefined;
  /** Client port and monitoring port, fixed after the first start so that restarts reuse them. */
  port = -1;
  httpPort = -1;
  readonly dir: string;
  readonly storeDir: string;
  /** server_name, as JetStream reports it (e.g. as a stream's cluster leader). */
  readonly serverName: string;
  private exited: Promise<void> = Promise.resolve();

  private constructor(private readonly options: NatsServerOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'odin-nats-'));
    this.storeDir = join(this.dir, 'jetstream');
    this.serverName = options.serverName ?? `odin-test-${process.pid}-${this.dir.slice(-6)}`;
    this.port = options.port ?? -1;
    this.httpPort = options.httpPort ?? -1;
  }

  static async start(options: NatsServerOptions = {}): Promise<NatsServer> {
    const server = new NatsServer(options);
    try {
      await server.launch();
    } catch (err) {
      await server.cleanup();
      throw err;
    }
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get monitorUrl(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get isRunning(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Kills the server (SIGKILL by default: a crash) and waits for it to exit. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.isRunning) return;
    this.child!.kill(signal);
    await this.exited;
    running.delete(this);
  }

  /** Starts it again on the same ports with the same JetStream store. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** Stops the server and deletes its directory. */
  async cleanup(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private config(): string {
    const lines = [
      `server_name: ${JSON.stringify(this.serverName)}`,
      'host: "127.0.0.1"',
      `port: ${this.port}`,
      `http: "127.0.0.1:${this.httpPort}"`,
      `ports_file_dir: ${JSON.stringify(this.dir)}`,
      `jetstream { store_dir: ${JSON.stringify(this.storeDir)} }`,
    ];
    // nats-server resolves includes relative to the config: the file is copied next to it.
    if (this.options.include) {
      copyFileSync(this.options.include, join(this.dir, 'included.conf'));
      lines.push('include ./included.conf');
    }
    const c = this.options.cluster;
    if (c) {
      const routes = c.routes.map((p) => JSON.stringify(`nats-route://127.0.0.1:${p}`)).join(', ');
      lines.push(`cluster { name: ${JSON.stringify(c.name)}, listen: "127.0.0.1:${c.port}", routes: [${routes}] }`);
    }
    return lines.join('\n') + '\n';
  }

  private async launch(): Promise<void> {
    const binary = natsServerBinary();
    const configPath = join(this.dir, 'nats.conf');
    writeFileSync(configPath, this.config());
    for (const f of readdirSync(this.dir)) if (f.endsWith('.ports')) rmSync(join(this.dir, f));
    const logFd = openSync(join(this.dir, 'server.log'), 'a');
    const child = spawn(binary, ['-c', configPath], { stdio: ['ignore', logFd, logFd], env: { ...process.env, ...this.options.env } });
    closeSync(logFd);
    this.child = child;
    running.add(this);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const portsFile = join(this.dir, `${binary.split('/').pop()}_${child.pid}.ports`);
    const deadline = Date.now() + 15_000;
    while (!existsSync(portsFile)) {
      if (!this.isRunning) throw new NatsServerStartError(`nats-server exited at start; log:\n${this.log()}`);
      if (Date.now() > deadline) throw new NatsServerStartError(`nats-server wrote no ports file in 15 s; log:\n${this.log()}`);
      await sleep(25);
    }
    // The file can be seen before it is fully written.
    let ports: { nats?: string[]; monitoring?: string[] } = {};
    for (;;) {
      try {
        ports = JSON.parse(readFileSync(portsFile, 'utf8')) as typeof ports;
        break;
      } catch {
        if (Date.now() > deadline) throw new NatsServerStartError(`unreadable ports file ${portsFile}`);
        await sleep(25);
      }
    }
    this.port = Number(new URL(ports.nats![0]!).port);
    this.httpPort = Number(new URL(ports.monitoring![0]!).port);
    if (!this.options.cluster) await this.waitHealthy(15_000);
  }

  /** Waits until /healthz says JetStream is ready (in a cluster: once the meta leader is known). */
  async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const res = await fetch(`${this.monitorUrl}/healthz`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      if (!this.isRunning) throw new NatsServerStartError(`nats-server exited; log:\n${this.log()}`);
      if (Date.now() > deadline) throw new NatsServerStartError(`nats-server not healthy after ${timeoutMs} ms; log:\n${this.log()}`);
      await sleep(100);
    }
  }

  /** The server's own log, for failure messages. */
  log(): string {
    try {
      return readFileSync(join(this.dir, 'server.log'), 'utf8').slice(-4000);
    } catch {
      return '';
    }
  }
}

export interface NatsCluster {
  servers: NatsServer[];
  /** Every member's URL, comma-separated (what --nats takes). */
  urls: string;
  cleanup(): Promise<void>;
}

/**
 * Starts an N-node JetStream cluster (3 by default) on ports picked up front,
 * so members can restart on them. A cluster whose meta group does not form
 * (in one CI run on Node 24 every node was healthy but the leader never saw
 * both peers current in 90 s) is started once more on fresh ports, with the
 * first attempt's state in the log: this is the test's fixture, not what it
 * tests.
 */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  try {
    return await startNatsClusterOnce(size);
  } catch (err) {
    if (!(err instanceof MetaClusterNotFormedError)) throw err;
    process.stderr.write(`startNatsCluster: ${err.message}; starting a fresh cluster on new ports\n`);
    return await startNatsClusterOnce(size);
  }
}

async function startNatsClusterOnce(size: number): Promise<NatsCluster> {
  const ports = await freePorts(size * 3);
  const clusterPorts = ports.slice(0, size);
  const name = `odin-test-${process.pid}-${clusterPorts[0]}`;
  const servers: NatsServer[] = [];
  const cleanup = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.cleanup()));
  };
  try {
    for (let i = 0; i < size; i++) {
      const routes = clusterPorts.filter((_, j) => j !== i);
      servers.push(await NatsServer.start({ port: ports[size + i]!, httpPort: ports[2 * size + i]!, serverName: `${name}-n${i + 1}`, cluster: { name, port: clusterPorts[i]!, routes } }));
    }
    // Caps on readiness waits, not time bounds: two clusters forming at once on a busy 2-core machine took over 30 s.
    await Promise.all(servers.map((s) => s.waitHealthy(90_000)));
    await waitMetaCluster(servers, 90_000);
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { servers, urls: servers.map((s) => s.url).join(','), cleanup };
}

class MetaClusterNotFormedError extends NatsServerStartError {}

/**
 * Healthy nodes are not enough for replicated streams: the meta leader must
 * know every peer as current, or creating an R3 stream fails with "no
 * suitable peers for placement".
 */
async function waitMetaCluster(servers: NatsServer[], timeoutMs: number): Promise<void> {
  type Meta = { leader?: string; replicas?: Array<{ name?: string; current?: boolean; offline?: boolean }> };
  const deadline = Date.now() + timeoutMs;
  const seen = new Map<string, Meta | string>();
  for (;;) {
    // Only the meta leader reports its peers.
    for (const node of servers) {
      try {
        const meta = ((await (await fetch(`${node.monitorUrl}/jsz`)).json()) as { meta_cluster?: Meta }).meta_cluster;
        seen.set(node.serverName, meta ?? 'no meta_cluster');
        const peers = meta?.replicas ?? [];
        if (meta?.leader === node.serverName && peers.length === servers.length - 1 && peers.every((p) => p.current && !p.offline)) return;
      } catch (err) {
        seen.set(node.serverName, `not answering: ${String(err)}`);
      }
    }
    if (Date.now() > deadline) {
      throw new MetaClusterNotFormedError(`JetStream meta cluster did not form with ${servers.length} current peers in ${timeoutMs} ms; each node's meta_cluster: ${JSON.stringify(Object.fromEntries(seen))}`);
    }
    await sleep(100);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
