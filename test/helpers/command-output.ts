// Runs a command (the CLI as the docs write it, possibly under `script` for a
// terminal) and keeps its stdout as raw lines, for tests that read the text
// itself: pretty lines, or JSON whose duplicate keys JSON.parse would hide.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface CommandOutput {
  child: ChildProcess;
  /** stdout lines so far, without colours or carriage returns; blank lines left out. */
  readonly lines: string[];
  readonly stderr: string;
  /** Resolves with the first line matching `test`, waking on each chunk; rejects if the command exits first. */
  waitForLine(test: (line: string) => boolean, what: string, capMs?: number): Promise<string>;
  /** Sends `signal` to the command's process group and resolves with the command's exit code once it has exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

export function runCommand(command: string, args: string[], options: SpawnOptions = {}): CommandOutput {
  // Its own process group: `npx` does not pass a signal on to the CLI it runs, so stop() signals the whole group.
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const lines: string[] = [];
  let stderr = '';
  let partial = '';
  const wakers = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const complete = partial.split('\n');
    partial = complete.pop()!;
    for (const line of complete) {
      const clean = line.replace(ANSI, '').replace(/\r/g, '');
      if (clean.trim() !== '') lines.push(clean);
    }
    for (const wake of wakers) wake();
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    for (const wake of wakers) wake();
    resolve(code);
  }));
  return {
    child,
    lines,
    get stderr() {
      return stderr;
    },
    waitForLine(test, what, capMs = 60_000) {
      return new Promise((resolve, reject) => {
        const cap = setTimeout(() => finish(new Error(`no ${what} within ${capMs} ms; stdout:\n${lines.join('\n')}\nstderr:\n${stderr}`)), capMs);
        const check = (): void => {
          const hit = lines.find(test);
          if (hit !== undefined) finish(undefined, hit);
          else if (child.exitCode !== null || child.signalCode !== null) finish(new Error(`exited (${child.exitCode ?? child.signalCode}) before ${what}; stdout:\n${lines.join('\n')}\nstderr:\n${stderr}`));
        };
        function finish(err: Error | undefined, line?: string): void {
          clearTimeout(cap);
          wakers.delete(check);
          if (err) reject(err);
          else resolve(line!);
        }
        wakers.add(check);
        check();
      });
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // the group is gone already
      }
      return exited;
    },
  };
}

/** `sh -c` quoting for one argument. */
export function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Runs `argv` on a pseudo-terminal (util-linux `script`), so its stdout is a TTY, as in a person's terminal. */
export function runOnTerminal(argv: string[], options: SpawnOptions = {}): CommandOutput {
  return runCommand('script', ['-qfec', argv.map(shellQuote).join(' '), '/dev/null'], options);
}
