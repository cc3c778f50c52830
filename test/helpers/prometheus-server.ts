// Starts a real Prometheus (Debian's build, /usr/local/bin/prometheus or
// PROMETHEUS_BIN) on a free loopback port with a temporary config and storage
// directory, queries it through its HTTP API, and stops it by its own PID.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProgram, stopAndRemove } from './system-program.js';

export function prometheusBinary(): string {
  return findProgram('PROMETHEUS_BIN', ['/usr/local/bin/prometheus', '/usr/bin/prometheus'], "prometheus not found: run `bash .ci/install-system-deps.sh` (installs Debian's prometheus and promtool)");
}

export function promtoolBinary(): string {
  return findProgram('PROMTOOL_BIN', ['/usr/local/bin/promtool', '/usr/bin/promtool'], 'promtool not found: run `bash .ci/install-system-deps.sh`');
}

/** Runs promtool synchronously; returns its exit status and combined output. */
export function promtool(args: string[], cwd?: string): { status: number; output: string } {
  const r = spawnSync(promtoolBinary(), args, { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status ?? -1, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export interface PromSample {
  metric: Record<string, string>;
  value?: [number, string];
  values?: Array<[number, string]>;
}

export interface QueryResult {
  status: 'success' | 'error';
  resultType?: string;
  result: PromSample[];
  error?: string;
  errorType?: string;
}

export interface PrometheusServer {
  url: string;
  port: number;
  child: ChildProcess;
  /** Instant query through /api/v1/query. */
  query(expr: string): Promise<QueryResult>;
  /** GET any /api/v1 path, e.g. 'targets' or 'rules'; returns `data`. */
  api<T>(path: string): Promise<T>;
  /** Waits until every active target has been scraped successfully at least `scrapes` times. */
  waitForTargetsUp(timeoutMs?: number): Promise<void>;
  output(): string;
  stop(): Promise<void>;
}

/**
 * `config` is a full prometheus.yml as text; rule files it names must be
 * absolute paths. The storage directory is removed on stop.
 */
export async function startPrometheus(config: string): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'odin-prom-'));
  const configPath = join(dir, 'prometheus.yml');
  writeFileSync(configPath, config);
  const port = await freePort();
  let log = '';
  const child = spawn(
    prometheusBinary(),
    [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--query.lookback-delta=30s',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${log}`);
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`prometheus did not become ready: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}/api/v1/${path}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`GET /api/v1/${path}: ${body.error ?? res.status}`);
    return body.data;
  };

  return {
    url,
    port,
    child,
    api,
    async query(expr: string): Promise<QueryResult> {
      const res = await fetch(`${url}/api/v1/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query: expr }).toString(),
      });
      const body = (await res.json()) as { status: 'success' | 'error'; data?: { resultType: string; result: PromSample[] | [number, string] }; error?: string; errorType?: string };
      if (body.status !== 'success' || !body.data) return { status: 'error', result: [], error: body.error, errorType: body.errorType };
      const raw = body.data.result;
      // Scalars come back as [time, value]: present them as one sample.
      const result = body.data.resultType === 'scalar' ? [{ metric: {}, value: raw as [number, string] }] : (raw as PromSample[]);
      return { status: 'success', resultType: body.data.resultType, result };
    },
    async waitForTargetsUp(timeoutMs = 20_000): Promise<void> {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const data = await api<{ activeTargets: Array<{ health: string; scrapeUrl: string; lastError: string }> }>('targets');
        const bad = data.activeTargets.filter((t) => t.health !== 'up');
        if (data.activeTargets.length > 0 && bad.length === 0) return;
        if (Date.now() > until) throw new Error(`targets not up: ${bad.map((t) => `${t.scrapeUrl} ${t.health} ${t.lastError}`).join('; ')}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    output: () => log,
    stop: () => stopAndRemove(child, exited, dir),
  };
}
