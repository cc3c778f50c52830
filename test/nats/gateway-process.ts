// A gateway as a real child process (`odin gateway`), so that a test can kill
// it with SIGKILL. Its port is learnt from the `gateway_started` log line.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');

export interface GatewayProcess {
  child: ChildProcess;
  port: number;
  url: string;
  httpUrl: string;
  /** Every JSON log line so far. */
  lines: Array<Record<string, unknown>>;
  /** Sends the signal and resolves with the exit code once the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface GatewayProcessOptions {
  env?: Record<string, string>;
  timeoutMs?: number;
  /** How many `gateway_started` lines mean "up" (one per worker with --workers). */
  instances?: number;
}

export async function startGatewayProcess(args: string[], options: GatewayProcessOptions = {}): Promise<GatewayProcess> {
  // A cap on a readiness wait, not a time bound: a cluster of workers on a busy
  // 2-core machine can take well over 20 s to start every worker.
  const { env = {}, timeoutMs = 90_000, instances = 1 } = options;
  const child = spawn(process.execPath, [CLI, 'gateway', '--port', '0', '--host', '127.0.0.1', '--log-level', 'info', ...args], {
    // Tests name channels of their own: `>` carries any name unless the test says otherwise.
    env: { ...process.env, CHANNEL_FAMILIES: '>', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  let partial = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let startedCount = 0;
  let brokersStarted = 0;
  let port = 0;
  const overNats = args.includes('--nats');
  const started = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start in ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${code}) before starting; stderr: ${stderr}`));
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      partial += chunk.toString();
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        lines.push(parsed);
        if (parsed.event === 'gateway_started') {
          startedCount++;
          port = Number(parsed.port);
        }
        if (parsed.event === 'nats_broker_started') brokersStarted++;
        // A gateway listens before its broker has started (it answers 503
        // broker_starting meanwhile): "up" is every instance listening and,
        // over NATS, every instance's broker started.
        if (startedCount >= instances && (!overNats || brokersStarted >= instances)) {
          clearTimeout(timer);
          resolve(port);
        }
      }
    });
  });
  const kill = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  try {
    port = await started;
  } catch (err) {
    await kill('SIGKILL');
    throw err;
  }
  return { child, port, url: `ws://127.0.0.1:${port}/ws`, httpUrl: `http://127.0.0.1:${port}`, lines, kill };
}
