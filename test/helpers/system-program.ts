// The system programs the tests start for real (prometheus, promtool,
// Alertmanager, nginx): where each is, and how a test stops one it started.
import type { ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';

/** The first path that exists, the environment's override first; otherwise an error saying how to install it. */
export function findProgram(envVariable: string, paths: readonly string[], installHint: string): string {
  const candidates = [process.env[envVariable], ...paths].filter((p): p is string => !!p);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`${installHint} or set ${envVariable}`);
  return found;
}

/** Stops a child a test started, by its own PID (SIGTERM, SIGKILL after 5 s), then removes its temporary folder. */
export async function stopAndRemove(child: ChildProcess, exited: Promise<void>, dir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(dir, { recursive: true, force: true });
}
