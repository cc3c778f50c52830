// The systems under test. Each runs in its own process(es), started here and
// driven over IPC: Odin (memory broker; over NATS when this build has it),
// nats-server's own WebSocket listener, a plain `ws` loop, socket.io rooms;
// and for bandwidth, Odin with clients that negotiate permessage-deflate
// (each batch compressed once, shared) beside a `ws` server compressing per
// connection (perMessageDeflate: a deflate stream per client).
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stopChild, trackChild } from './child-registry.js';
import { startNatsServer, type NatsServerProcess } from './nats-server-process.js';
import { forkWithFdLimit } from './os-limits.js';
import type { ParentToServer, ServerToParent, SlowClientStats } from './server-ipc.js';

export type ClientKind = 'odin' | 'nats-ws' | 'ws-loop' | 'socketio';

export interface RunningSystem {
  name: string;
  kind: ClientKind;
  /** The process whose RSS and CPU are the system's. */
  serverPid: number;
  /** When the server is several processes (gateway workers): all of them, whose RSS is summed. */
  serverPids?: number[];
  /** Warnings and errors the gateway logged since it started, by event name (the scale course's cluster: why connections were refused or closed). */
  gatewayEvents?: () => Record<string, number>;
  /** Every process of the system (server, broker, publisher): pinned together. */
  pids: number[];
  /** Clients offer permessage-deflate. */
  deflate: boolean;
  /** Where a client subscribed to `channels` connects (systems without a subscribe message take them in the URL). */
  urlFor(channels: readonly string[]): string;
  setRate(perSec: number, channels: string[]): void;
  /** Messages the pacer has published on each channel (in the order of the last `setRate` channels). */
  publishedPerChannel(): Promise<number[]>;
  /** Publishes `count` messages at once on a channel; resolves with the position before them (and, for Odin, the seq of the last one, once stored and taken in). */
  burst(channel: string, count: number): Promise<{ before: number; epoch: string; last?: number }>;
  /** Full GC in the server process when it is Node (so RSS is not garbage). */
  collectGarbage(): Promise<void>;
  /** Odin's slow-client policy counters (zero for other systems). */
  slowClientStats(): Promise<SlowClientStats>;
  stop(): Promise<void>;
}

export interface StartOptions {
  cpuProfileDir?: string;
  /** Open files to allow the server process (the scale scenario). */
  fdLimit?: number;
  /** Connections the system must take (the scale scenario sizes a multi-process server from it). */
  connections?: number;
  /** Most server processes a multi-process system may start. */
  maxWorkers?: number;
  /** Odin's slow-client settings (the slow-consumers scenario); absent: the gateway's defaults. */
  slowClient?: { policy: 'close' | 'conflate'; maxQueueBytes?: number };
  /** Odin's history (the resume course): messages kept per channel, and over NATS the stream's storage; absent: the bench server's defaults. */
  history?: { size: number; natsStorage?: 'file' | 'memory' };
}

/** The bench server's arguments for `history`. */
function historyArgs(options: StartOptions): string[] {
  const h = options.history;
  return h ? ['--history-size', String(h.size), ...(h.natsStorage ? ['--nats-storage', h.natsStorage] : [])] : [];
}

/** The bench server's arguments for `slowClient`. */
function slowClientArgs(options: StartOptions): string[] {
  const s = options.slowClient;
  return s ? ['--slow-client', s.policy, ...(s.maxQueueBytes !== undefined ? ['--max-queue-bytes', String(s.maxQueueBytes)] : [])] : [];
}

export interface SystemSpec {
  name: string;
  description: string;
  kind: ClientKind;
  start(options: StartOptions): Promise<RunningSystem>;
}

function script(name: string): string {
  return fileURLToPath(new URL(`./servers/${name}.js`, import.meta.url));
}

/** A forked server child speaking the server-ipc protocol. */
export class ServerChild {
  private readonly waiters: Array<(m: ServerToParent) => boolean> = [];

  constructor(readonly child: ChildProcess) {
    child.on('message', (m: ServerToParent) => {
      const i = this.waiters.findIndex((w) => w(m));
      if (i >= 0) this.waiters.splice(i, 1);
    });
  }

  static async fork(name: string, args: string[], options: StartOptions = {}): Promise<{ server: ServerChild; port: number }> {
    const { cpuProfileDir } = options;
    const execArgv = ['--expose-gc', ...(cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfileDir, '--cpu-prof-name', `${name}-${Date.now()}.cpuprofile`] : [])];
    const child = trackChild(forkWithFdLimit(script(name), args, options.fdLimit, { execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
    const server = new ServerChild(child);
    const ready = await server.next((m) => m.type === 'ready' || m.type === 'error', 15_000);
    if (ready.type !== 'ready') throw new Error(`${name}: ${ready.type === 'error' ? ready.message : 'failed to start'}`);
    return { server, port: ready.port };
  }

  send(m: ParentToServer): void {
    if (this.child.connected) this.child.send(m);
  }

  next(match: (m: ServerToParent) => boolean, timeoutMs = 10_000): Promise<ServerToParent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('server child did not answer')), timeoutMs);
      const onExit = (code: number | null): void => reject(new Error(`server child exited (${code})`));
      this.child.once('exit', onExit);
      this.waiters.push((m) => {
        if (!match(m)) return false;
        clearTimeout(timer);
        this.child.off('exit', onExit);
        resolve(m);
        return true;
      });
    });
  }

  async burst(channel: string, count: number): Promise<{ before: number; epoch: string; last?: number }> {
    // Over NATS every message is acknowledged and taken in first: 100,000 take seconds.
    const done = this.next((m) => m.type === 'burst-done', 10_000 + count);
    this.send({ type: 'burst', channel, count });
    const m = await done;
    return m.type === 'burst-done' ? { before: m.before, epoch: m.epoch, ...(m.last !== undefined ? { last: m.last } : {}) } : { before: 0, epoch: '' };
  }

  async published(): Promise<number[]> {
    const answer = this.next((m) => m.type === 'published');
    this.send({ type: 'count' });
    const m = await answer;
    return m.type === 'published' ? m.perChannel : [];
  }

  async slowStats(): Promise<SlowClientStats> {
    const answer = this.next((m) => m.type === 'slow-stats');
    this.send({ type: 'slow-stats' });
    const m = await answer;
    return m.type === 'slow-stats' ? m.stats : { conflated: 0, closed: 0, active: 0 };
  }

  async gc(): Promise<void> {
    const done = this.next((m) => m.type === 'gc-done');
    this.send({ type: 'gc' });
    await done;
  }
}

function nodeSystem(name: string, kind: ClientKind, url: (port: number, channels: readonly string[]) => string, server: ServerChild, port: number, extra: { stop?: () => Promise<void>; pids?: number[]; deflate?: boolean } = {}): RunningSystem {
  const extraStop = extra.stop;
  return {
    name,
    kind,
    serverPid: server.child.pid!,
    pids: [server.child.pid!, ...(extra.pids ?? [])],
    deflate: extra.deflate ?? false,
    urlFor: (channels) => url(port, channels),
    setRate: (perSec, channels) => server.send({ type: 'rate', perSec, channels }),
    publishedPerChannel: () => server.published(),
    burst: (channel, count) => server.burst(channel, count),
    collectGarbage: () => server.gc(),
    slowClientStats: () => (kind === 'odin' ? server.slowStats() : Promise.resolve({ conflated: 0, closed: 0, active: 0 })),
    async stop() {
      await stopChild(server.child);
      await extraStop?.();
    },
  };
}

const odinUrl = (port: number): string => `ws://127.0.0.1:${port}/ws`;
const wsLoopUrl = (port: number, channels: readonly string[]): string => `ws://127.0.0.1:${port}/?channels=${encodeURIComponent(channels.join(','))}`;

export const ODIN_MEMORY: SystemSpec = {
  name: 'odin',
  description: 'Odin gateway + memory broker (one process, publishNow)',
  kind: 'odin',
  async start(options) {
    const { server, port } = await ServerChild.fork('odin-bench-server', [...slowClientArgs(options), ...historyArgs(options)], options);
    return nodeSystem('odin', 'odin', odinUrl, server, port);
  },
};

export const ODIN_DEFLATE: SystemSpec = {
  name: 'odin-deflate',
  description: 'the same Odin, clients offering permessage-deflate (each batch frame deflated once, shared by every compressing client)',
  kind: 'odin',
  async start(options) {
    const { server, port } = await ServerChild.fork('odin-bench-server', [], options);
    return nodeSystem('odin-deflate', 'odin', odinUrl, server, port, { deflate: true });
  },
};

export const ODIN_NATS: SystemSpec = {
  name: 'odin-nats',
  description: 'Odin gateway over NATS (JetStream history), publishing through the broker',
  kind: 'odin',
  async start(options) {
    const nats = await startNatsServer({ jetstream: true });
    try {
      const { server, port } = await ServerChild.fork('odin-bench-server', ['--nats', nats.tcpUrl, ...historyArgs(options)], options);
      return nodeSystem('odin-nats', 'odin', odinUrl, server, port, { stop: () => nats.stop(), pids: [nats.pid] });
    } catch (err) {
      await nats.stop();
      throw err;
    }
  },
};

export const NATS_WS: SystemSpec = {
  name: 'nats-ws',
  description: "nats-server's own WebSocket listener; publisher over NATS TCP in its own process",
  kind: 'nats-ws',
  async start(options) {
    const nats: NatsServerProcess = await startNatsServer();
    try {
      const { server } = await ServerChild.fork('nats-publisher', [nats.tcpUrl, String(nats.wsPort)], options);
      const system = nodeSystem('nats-ws', 'nats-ws', (port) => `ws://127.0.0.1:${port}`, server, nats.wsPort, { stop: () => nats.stop(), pids: [nats.pid] });
      return { ...system, serverPid: nats.pid, collectGarbage: async () => undefined };
    } catch (err) {
      await nats.stop();
      throw err;
    }
  },
};

export const WS_LOOP: SystemSpec = {
  name: 'ws-loop',
  description: 'plain ws server: JSON.stringify + send per client',
  kind: 'ws-loop',
  async start(options) {
    const { server, port } = await ServerChild.fork('ws-loop-server', [], options);
    return nodeSystem('ws-loop', 'ws-loop', wsLoopUrl, server, port);
  },
};

export const WS_DEFLATE: SystemSpec = {
  name: 'ws-deflate',
  description: 'ws server with perMessageDeflate: each message compressed per connection (a deflate stream per client)',
  kind: 'ws-loop',
  async start(options) {
    const { server, port } = await ServerChild.fork('ws-deflate-server', [], options);
    return nodeSystem('ws-deflate', 'ws-loop', wsLoopUrl, server, port, { deflate: true });
  },
};

/** A system this installation cannot run (a missing optional part): its rows say `skipped`, not `failed`. */
export class SystemUnavailableError extends Error {
  override name = 'SystemUnavailableError';
}

/**
 * socket.io is a dev dependency (only this peer uses it), so an install with
 * `--omit=dev` (the Docker image) lacks it: say so instead of a child's stack trace.
 */
function requireSocketIo(): void {
  try {
    import.meta.resolve('socket.io');
  } catch {
    throw new SystemUnavailableError('socket.io is not installed: it is a dev dependency, used only by this peer (run `npm ci` without --omit=dev to bench it)');
  }
}

export const SOCKET_IO: SystemSpec = {
  name: 'socketio',
  description: 'socket.io, a room per channel, WebSocket transport only',
  kind: 'socketio',
  async start(options) {
    requireSocketIo();
    const { server, port } = await ServerChild.fork('socketio-server', [], options);
    return nodeSystem('socketio', 'socketio', (p, channels) => `ws://127.0.0.1:${p}/socket.io/?EIO=4&transport=websocket&channels=${encodeURIComponent(channels.join(','))}`, server, port);
  },
};

export const ALL_SYSTEMS: readonly SystemSpec[] = [ODIN_MEMORY, ODIN_DEFLATE, ODIN_NATS, NATS_WS, WS_LOOP, WS_DEFLATE, SOCKET_IO];

/** The systems a scenario runs when it names none: Odin and its four peers (no compression). */
export const CLASSIC_SYSTEMS: readonly string[] = ['odin', 'odin-nats', 'nats-ws', 'ws-loop', 'socketio'];
