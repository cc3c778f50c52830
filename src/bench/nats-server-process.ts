// Starts a real nats-server on free loopback ports (never 4222, which may be
// someone else's): a generated config with `-1` ports and `ports_file_dir`, as
// nats.js's own test launcher does, plus a WebSocket listener without TLS.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopChild, trackChild } from './child-registry.js';

export interface NatsServerProcess {
  child: ChildProcess;
  pid: number;
  tcpUrl: string;
  wsPort: number;
  stop(): Promise<void>;
}

export function natsServerBinary(): string | undefined {
  const candidates = [process.env.NATS_SERVER_BIN, '/usr/local/bin/nats-server', '/usr/bin/nats-server'];
  for (const dir of (process.env.PATH ?? '').split(':')) candidates.push(join(dir, 'nats-server'));
  return candidates.find((c): c is string => !!c && existsSync(c));
}

export async function startNatsServer(options: { jetstream?: boolean } = {}): Promise<NatsServerProcess> {
  const bin = natsServerBinary();
  if (!bin) throw new Error('nats-server not found: install it (https://github.com/nats-io/nats-server/releases) or set NATS_SERVER_BIN');
  const dir = mkdtempSync(join(tmpdir(), 'odin-bench-nats-'));
  const config = [
    'listen: "127.0.0.1:-1"',
    `ports_file_dir: "${dir}"`,
    'max_payload: 1048576',
    'websocket {',
    '  listen: "127.0.0.1:-1"',
    '  no_tls: true',
    '}',
    ...(options.jetstream ? [`jetstream { store_dir: "${join(dir, 'js')}" }`] : []),
  ].join('\n');
  writeFileSync(join(dir, 'nats.conf'), config);
  const child = trackChild(spawn(bin, ['-c', join(dir, 'nats.conf')], { stdio: ['ignore', 'ignore', 'pipe'] }));
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
  const portsFile = join(dir, `nats-server_${child.pid}.ports`);
  const deadline = Date.now() + 10_000;
  let ports: { nats?: string[]; websocket?: string[] } | undefined;
  while (!ports) {
    if (child.exitCode !== null) throw new Error(`nats-server exited (${child.exitCode}): ${stderr}`);
    if (Date.now() > deadline) throw new Error(`nats-server did not write ${portsFile}: ${stderr}`);
    try {
      ports = JSON.parse(readFileSync(portsFile, 'utf8')) as typeof ports;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const tcpUrl = ports.nats![0]!;
  const wsPort = Number(new URL(ports.websocket![0]!).port);
  return {
    child,
    pid: child.pid!,
    tcpUrl,
    wsPort,
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
