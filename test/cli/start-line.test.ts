// One start line saying what runs where (docs/operations.md "Start line"):
// `odin gateway` and `odin publisher` log `odin_started`, `odin dev` its
// `dev_ready`, once, whose message names the version, every listener as bound
// and the broker; each address it names is checked to answer.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { REPO_ROOT, startOdin, type OdinProcess } from '../helpers/child-process.js';
import { freePorts, NatsServer } from '../helpers/nats-server.js';
import { withoutCredentials } from '../../src/cli/start-line.js';

const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const V = VERSION.replace(/\./g, '\\.');
const KEY = 'start-line-test-api-key-0123456789';

const processes: OdinProcess[] = [];
function odin(args: string[], env: Record<string, string> = {}): OdinProcess {
  const p = startOdin([...args, '--log-format', 'json'], env);
  processes.push(p);
  return p;
}

async function opens(url: string): Promise<void> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.close();
}

/** The start lines logged so far: exactly one is expected. */
function startLines(p: OdinProcess): Array<Record<string, unknown>> {
  return p.lines.filter((l) => l.event === 'odin_started' || l.event === 'dev_ready');
}

let nats: NatsServer;
before(async () => {
  nats = await NatsServer.start();
});
after(async () => {
  for (const p of processes) p.kill('SIGKILL');
  await Promise.all(processes.map((p) => p.exited));
  await nats.cleanup();
});

describe('start line', () => {
  it('odin gateway: the version, the WebSocket URL, metrics and server API listeners as bound, the limit and the broker', async () => {
    const gateway = odin(['gateway', '--host', '127.0.0.1', '--port', '0', '--metrics-port', '0', '--api-port', '0'], { API_KEYS: KEY });
    const line = await gateway.waitForEvent('odin_started');
    const m = new RegExp(
      `^odin gateway ${V} listening (ws://127\\.0\\.0\\.1:\\d+/ws) \\(metrics (http://127\\.0\\.0\\.1:\\d+/metrics), server API (http://127\\.0\\.0\\.1:\\d+/api/)\\), up to [\\d,]+ connections \\((memory|open files)\\), memory broker \\(nothing kept across restarts\\)$`,
    ).exec(String(line.msg));
    assert.ok(m, `start line: ${String(line.msg)}`);
    assert.equal(line.ws, m[1]);
    assert.equal(line.version, VERSION);
    assert.equal(line.max_connections, (await gateway.waitForEvent('gateway_started')).max_connections);
    await opens(m[1]!);
    assert.equal((await fetch(m[2]!)).status, 200, 'metrics answer where the line says');
    const api = await fetch(`${m[3]!}channels`, { headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(api.status, 200, 'the server API answers where the line says');
    assert.equal(startLines(gateway).length, 1);
  });

  it('odin gateway on NATS names the broker and stream; without keys the API is off, metrics on the public port', async () => {
    const gateway = odin(['gateway', '--host', '127.0.0.1', '--port', '0', '--nats', nats.url, '--nats-stream', 'STARTLINE', '--nats-storage', 'memory']);
    const line = await gateway.waitForEvent('odin_started');
    assert.match(String(line.msg), new RegExp(`^odin gateway ${V} listening ws://127\\.0\\.0\\.1:\\d+/ws \\(metrics on the public port, server API off\\), up to [\\d,]+ connections \\(\\w[\\w ]+\\), broker ${nats.url.replace(/\./g, '\\.')} stream STARTLINE$`));
    assert.equal(line.broker, nats.url);
    assert.equal(line.stream, 'STARTLINE');
    await opens(String(line.ws));
    assert.equal(startLines(gateway).length, 1);
  });

  it('odin publisher: the simulator state, the control API and where it publishes', async () => {
    const publisher = odin(['publisher', '--port', '0', '--nats', nats.url, '--nats-stream', 'STARTLINE', '--nats-storage', 'memory', '--autostart', '--rate', '5'], { CONTROL_TOKEN: 'start-line-control-token' });
    const line = await publisher.waitForEvent('odin_started');
    const m = new RegExp(`^odin publisher ${V} simulator publishing 5 prices/s, control API (http://127\\.0\\.0\\.1:\\d+)/control, broker ${nats.url.replace(/\./g, '\\.')} stream STARTLINE$`).exec(String(line.msg));
    assert.ok(m, `start line: ${String(line.msg)}`);
    assert.equal((await fetch(`${m[1]!}/stats`)).status, 200, 'the control API answers where the line says');
    assert.equal(startLines(publisher).length, 1);
  });

  it('odin publisher without --autostart or --nats: waiting for start, into a memory broker no gateway reads', async () => {
    const publisher = odin(['publisher', '--port', '0'], { CONTROL_TOKEN: 'start-line-control-token' });
    const line = await publisher.waitForEvent('odin_started');
    const m = new RegExp(`^odin publisher ${V} simulator waiting for POST /control \\{"action":"start"\\}, control API (http://127\\.0\\.0\\.1:\\d+)/control, into a private memory broker that no gateway reads$`).exec(String(line.msg));
    assert.ok(m, `start line: ${String(line.msg)}`);
    assert.equal(line.publishing, false);
    const start = await fetch(`${m[1]!}/control`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer start-line-control-token' }, body: '{"action":"start"}' });
    assert.equal(start.status, 200, 'the control API it names takes the start');
  });

  it('odin dev: what to open first, then the gateway, broker, simulator and control API', async () => {
    const dev = odin(['dev', '--port', '0', '--control-port', '0']);
    const line = await dev.waitForEvent('dev_ready');
    const m = new RegExp(
      `^odin dev ${V} open (http://localhost:\\d+/), listening ws://0\\.0\\.0\\.0:(\\d+)/ws \\(metrics on the public port, server API off\\), up to [\\d,]+ connections \\(\\w[\\w ]+\\), memory broker \\(nothing kept across restarts\\), simulator publishing 20 prices/s, control API (http://127\\.0\\.0\\.1:\\d+)/control, control token (\\S+)$`,
    ).exec(String(line.msg));
    assert.ok(m, `start line: ${String(line.msg)}`);
    assert.equal((await fetch(m[1]!.replace('localhost', '127.0.0.1'))).status, 200);
    await opens(`ws://127.0.0.1:${m[2]}/ws`);
    const stop = await fetch(`${m[3]!}/control`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${m[4]}` }, body: '{"action":"stop"}' });
    assert.equal(stop.status, 200, 'the printed token drives the printed control API');
    assert.equal(startLines(dev).length, 1);
  });

  it('odin gateway --workers 2: the primary logs the start line once every worker listens; the workers log none', async () => {
    const [port] = await freePorts(1);
    const gateway = odin(['gateway', '--host', '127.0.0.1', '--port', String(port), '--workers', '2', '--nats', nats.url, '--nats-stream', 'STARTLINE', '--nats-storage', 'memory']);
    const line = await gateway.waitForEvent('odin_started', 90_000);
    assert.equal(line.msg, `odin gateway ${VERSION} listening ws://127.0.0.1:${port}/ws with 2 workers, broker ${nats.url} stream STARTLINE`);
    assert.equal(line.role, 'primary');
    assert.equal(gateway.lines.filter((l) => l.event === 'worker_up').length, 2, 'logged after both workers listen');
    await opens(String(line.ws));
    assert.equal(startLines(gateway).length, 1);
  });

  it('a NATS URL with credentials is named without them', () => {
    assert.equal(withoutCredentials('nats://odin:s3cret@10.0.0.1:4222,nats://10.0.0.2:4222,tls://tok@h:1'), 'nats://10.0.0.1:4222,nats://10.0.0.2:4222,tls://h:1');
  });
});
