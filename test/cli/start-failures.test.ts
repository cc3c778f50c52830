// Known start failures, as a newcomer meets them, each one message that says
// what to do and no stack trace: a port in use names its flag and variable,
// NATS unreachable and nats-server without JetStream print the nats-server
// command, and that command, run as printed, makes the gateway start.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, startOdin } from '../helpers/child-process.js';
import { freePorts, natsServerBinary } from '../helpers/nats-server.js';

function odin(...args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args, '--log-level', 'error'], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr };
}

function assertNoStack(stderr: string): void {
  assert.doesNotMatch(stderr, /^\s+at /m, `no stack trace:\n${stderr}`);
  assert.equal(stderr.trim().split('\n').length, 1, `one message:\n${stderr}`);
}

async function holdPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

/** Starts nats-server with `args` in `cwd` and resolves once it logs that it is ready. */
function natsServer(args: string[], cwd: string): Promise<ChildProcess> {
  const child = spawn(natsServerBinary(), args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let log = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('Server is ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`nats-server exited ${code}: ${log}`)));
  });
}

const children: ChildProcess[] = [];
const dirs: string[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('start failures a user can act on', () => {
  it('a port in use names the port, --port and PORT; exit 1, no stack', async () => {
    const { server, port } = await holdPort();
    try {
      const r = odin('gateway', '--host', '127.0.0.1', '--port', String(port));
      assert.equal(r.status, 1);
      assert.match(r.stderr, new RegExp(`^odin: port ${port} is already in use .*--port/PORT`));
      assertNoStack(r.stderr);
      const m = odin('gateway', '--host', '127.0.0.1', '--port', '0', '--metrics-port', String(port));
      assert.equal(m.status, 1);
      assert.match(m.stderr, /--metrics-port\/METRICS_PORT/);
      assertNoStack(m.stderr);
      const p = odin('publisher', '--host', '127.0.0.1', '--port', String(port));
      assert.equal(p.status, 1);
      assert.match(p.stderr, new RegExp(`port ${port} is already in use .*--port/PORT`));
      assertNoStack(p.stderr);
    } finally {
      server.close();
    }
  });

  it('NATS unreachable names the URL and prints how to start nats-server with JetStream', async () => {
    const [port] = await freePorts(1);
    const r = odin('gateway', '--port', '0', '--nats', `nats://127.0.0.1:${port}`);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`^odin: cannot reach NATS at nats://127\\.0\\.0\\.1:${port} .*\`nats-server -js -sd \\./nats-data -p ${port}\`.*--nats/NATS_URL`));
    assertNoStack(r.stderr);
  });

  it('nats-server without JetStream: the message prints the exact command, and that command run as printed lets the gateway start', { timeout: 120_000 }, async () => {
    const [port] = await freePorts(1);
    const dir = mkdtempSync(join(tmpdir(), 'odin-nojs-'));
    dirs.push(dir);
    const plain = await natsServer(['-a', '127.0.0.1', '-p', String(port)], dir);
    const url = `nats://127.0.0.1:${port}`;
    const r = odin('gateway', '--port', '0', '--nats', url);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /runs without JetStream/);
    assertNoStack(r.stderr);
    const command = /`(nats-server -js [^`]+)`/.exec(r.stderr)?.[1];
    assert.equal(command, `nats-server -js -sd ./nats-data -p ${port}`);
    const publisher = odin('publisher', '--port', '0', '--nats', url);
    assert.equal(publisher.status, 1);
    assert.ok(publisher.stderr.includes(`\`${command}\``), publisher.stderr);

    const exited = new Promise((resolve) => plain.once('exit', resolve));
    plain.kill('SIGTERM');
    await exited;
    await natsServer(command!.split(' ').slice(1), dir);
    const gateway = startOdin(['gateway', '--port', '0', '--host', '127.0.0.1', '--nats', url]);
    try {
      const started = await gateway.waitForEvent('gateway_started', 60_000);
      assert.equal(typeof started.port, 'number');
    } finally {
      gateway.kill('SIGKILL');
    }
  });
});
