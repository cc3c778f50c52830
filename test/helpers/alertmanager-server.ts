// Runs Debian's Alertmanager (/usr/bin/prometheus-alertmanager, or
// ALERTMANAGER_BIN) on a free loopback port with a temporary config and
// storage folder, clustering off (no gossip port), stopped by its own PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProgram, stopAndRemove } from './system-program.js';
import { freePort } from './prometheus-server.js';

export function alertmanagerBinary(): string {
  return findProgram('ALERTMANAGER_BIN', ['/usr/bin/prometheus-alertmanager', '/usr/local/bin/alertmanager'], "alertmanager not found: run `bash .ci/install-system-deps.sh` (installs Debian's prometheus-alertmanager)");
}

export interface AlertmanagerServer {
  url: string;
  port: number;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** `config` is a full alertmanager.yml as text. Resolves once /-/ready answers 200. */
export async function startAlertmanager(config: string): Promise<AlertmanagerServer> {
  const dir = mkdtempSync(join(tmpdir(), 'odin-am-'));
  writeFileSync(join(dir, 'alertmanager.yml'), config);
  const port = await freePort();
  let log = '';
  const child = spawn(
    alertmanagerBinary(),
    [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = (): Promise<void> => stopAndRemove(child, exited, dir);
  // A cap on a readiness wait, not a time bound.
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`alertmanager exited with ${child.exitCode}: ${log}`);
    }
    const ok = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`alertmanager did not become ready: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, port, child, output: () => log, stop };
}
