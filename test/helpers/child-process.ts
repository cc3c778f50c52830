// Runs the real `odin` CLI as a child process and reads its JSON log lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');
/** The checkout (dist/test/helpers is three levels below it), where `npx odin` finds the package's bin. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface OdinProcess {
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  stderr: string;
  exited: Promise<number | null>;
  waitForEvent(event: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  kill(signal?: NodeJS.Signals): void;
}

export interface StartOptions {
  /** Run under `ulimit -n` of this many open files (through bash, which then execs node). */
  openFiles?: number;
}

/** `env` adds to this process's environment; a variable given as undefined is removed (CHANNEL_FAMILIES: undefined = the real default). */
export function startOdin(args: string[], env: Record<string, string | undefined> = {}, options: StartOptions = {}): OdinProcess {
  const [command, argv] =
    options.openFiles === undefined
      ? [process.execPath, [CLI, ...args]]
      : ['bash', ['-c', `ulimit -n ${options.openFiles} && exec "$0" "$@"`, process.execPath, CLI, ...args]];
  // Tests name channels of their own: `>` carries any name unless the test says otherwise (a flag wins over the variable).
  const childEnv: NodeJS.ProcessEnv = { ...process.env, CHANNEL_FAMILIES: '>', ...env };
  for (const [name, value] of Object.entries(childEnv)) if (value === undefined) delete childEnv[name];
  const child = spawn(command, argv, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  let buffered = '';
  const waiters: Array<() => void> = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ raw: line });
      }
    }
    for (const w of waiters.splice(0)) w();
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    get stderr() {
      return stderr;
    },
    exited,
    async waitForEvent(event, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = lines.find((l) => l.event === event);
        if (hit) return hit;
        if (child.exitCode !== null) throw new Error(`odin exited (${child.exitCode}) before ${event}: ${stderr}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for log event ${event}; stderr: ${stderr}`);
        await new Promise<void>((r) => {
          const t = setTimeout(r, 100);
          waiters.push(() => {
            clearTimeout(t);
            r();
          });
        });
      }
    },
    kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.pid !== undefined) child.kill(signal);
    },
  } as OdinProcess;
}
