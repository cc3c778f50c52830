// Runs the real `odin` CLI (dist/src/cli/main.js) as a child process, keeps
// every JSON log line it writes on stdout, and stops it by its own PID.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');

export type LogLine = Record<string, unknown>;

export interface OdinChild {
  child: ChildProcess;
  /** Parsed JSON lines; a line that is not JSON is kept as { raw }. */
  lines: LogLine[];
  /** stdout exactly as written. */
  stdout(): string;
  stderr(): string;
  waitForLine(predicate: (l: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
  stop(): Promise<void>;
}

/** The commands the CLI offers (from `odin --help`). */
export function cliCommands(): string[] {
  const out = spawnSync(process.execPath, [CLI_PATH, '--help'], { encoding: 'utf8' }).stdout ?? '';
  return [...out.matchAll(/^ {2}(\S+)\s/gm)].map((m) => m[1]!);
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  // Last resort when a test dies before its cleanup: leave no process behind.
  for (const child of running) child.kill('SIGKILL');
});

export function startOdin(args: string[], env: Record<string, string> = {}): OdinChild {
  // Tests name channels of their own (scenario.api): `>` carries any name unless the test says otherwise.
  const child = spawn(process.execPath, [CLI_PATH, ...args], { env: { ...process.env, CHANNEL_FAMILIES: '>', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const lines: LogLine[] = [];
  let out = '';
  let err = '';
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    out += text;
    partial += text;
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      if (line.trim() === '') continue;
      try {
        lines.push(JSON.parse(line) as LogLine);
      } catch {
        lines.push({ raw: line });
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    lines,
    stdout: () => out,
    stderr: () => err,
    async waitForLine(predicate, what, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = lines.find(predicate);
        if (hit) return hit;
        if (child.exitCode !== null) throw new Error(`odin ${args[0]} exited (${child.exitCode}) before ${what}: ${err}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stderr: ${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Starts `odin dev` or `odin gateway` on a free port and returns it with the port it logged. */
export async function startOdinGateway(command: 'dev' | 'gateway', args: string[], env: Record<string, string> = {}): Promise<{ odin: OdinChild; port: number; httpUrl: string; wsUrl: string }> {
  const odin = startOdin([command, '--host', '127.0.0.1', '--port', '0', ...args], env);
  let started: LogLine;
  try {
    started = await odin.waitForLine((l) => l.event === 'gateway_started', 'gateway_started (logged at level info)');
  } catch (err) {
    await odin.stop();
    throw err;
  }
  const port = Number(started.port);
  return { odin, port, httpUrl: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/ws` };
}
