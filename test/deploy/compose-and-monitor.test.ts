// `npm run docker:up|down|logs` run Compose v2 (`docker compose`) or v1
// (`docker-compose`), whichever answers (deploy/scripts/compose.mjs), and the
// monitor scripts aim where their variables say (deploy/scripts/ops.mjs).
// The npm scripts run as the docs write them, with stand-in `docker` and
// `docker-compose` programs first on PATH that record how they were called
// (no Docker engine here); the real docker-compose parses the stack once
// through the wrapper.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { repoRoot } from '../../src/observability/dashboards/write-dashboards.js';

const root = repoRoot();
const WRAPPER = join(root, 'deploy/scripts/compose.mjs');
const { pickCompose, NO_COMPOSE } = (await import(WRAPPER)) as {
  pickCompose: (env: Record<string, string | undefined>, probe: (command: string, args: string[]) => boolean) => string[] | undefined;
  NO_COMPOSE: string;
};

test('the Compose choice: v2 plugin first, then docker-compose, DOCKER_COMPOSE overrides, none is undefined', () => {
  const probeOf = (ok: string[]) => (command: string, args: string[]) => ok.includes([command, ...args].join(' '));
  assert.deepEqual(pickCompose({}, probeOf(['docker compose version', 'docker-compose version'])), ['docker', 'compose']);
  assert.deepEqual(pickCompose({}, probeOf(['docker-compose version'])), ['docker-compose'], 'docker without the compose plugin: v1');
  assert.equal(pickCompose({}, probeOf([])), undefined);
  assert.deepEqual(pickCompose({ DOCKER_COMPOSE: 'podman compose' }, probeOf(['docker compose version'])), ['podman', 'compose']);
});

/** A folder of stand-in programs that log their arguments to calls.log, each line `name args...` (newlines in arguments as spaces). */
function fakeBin(programs: Record<string, string>): { dir: string; calls: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'odin-fakebin-'));
  const log = join(dir, 'calls.log');
  for (const [name, body] of Object.entries(programs)) {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\nprintf '%s\\n' "${name} $(printf '%s' "$*" | tr '\\n' ' ')" >> '${log}'\n${body}\n`);
    chmodSync(path, 0o755);
  }
  return { dir, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []) };
}

function npmRun(script: string, env: Record<string, string>, binDir: string) {
  return spawnSync('npm', ['run', '--silent', script], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env, PATH: `${binDir}${delimiter}${process.env.PATH}` } });
}

test('npm run docker:up with Compose v2: docker compose up -d --build', () => {
  const bin = fakeBin({ docker: 'exit 0' });
  try {
    const r = npmRun('docker:up', {}, bin.dir);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(bin.calls(), ['docker compose version', 'docker compose up -d --build']);
  } finally {
    rmSync(bin.dir, { recursive: true, force: true });
  }
});

test('npm run docker:up / docker:down with Compose v1 only (docker has no compose plugin): docker-compose, exit status passed on', () => {
  // As Docker without the plugin answers: "docker: unknown command: docker compose", status 1.
  const bin = fakeBin({ docker: 'echo "docker: unknown command: docker $1" >&2; exit 1', 'docker-compose': '[ "$1" = down ] && exit 3; exit 0' });
  try {
    const up = npmRun('docker:up', {}, bin.dir);
    assert.equal(up.status, 0, up.stderr);
    const down = npmRun('docker:down', {}, bin.dir);
    assert.equal(down.status, 3, 'the Compose exit status is the script\'s');
    assert.deepEqual(bin.calls(), ['docker compose version', 'docker-compose version', 'docker-compose up -d --build', 'docker compose version', 'docker-compose version', 'docker-compose down']);
  } finally {
    rmSync(bin.dir, { recursive: true, force: true });
  }
});

test('no Compose at all: one message that says what to install, exit 127', () => {
  const empty = mkdtempSync(join(tmpdir(), 'odin-nobin-'));
  try {
    const r = spawnSync(process.execPath, [WRAPPER, 'up', '-d'], { cwd: root, encoding: 'utf8', env: { ...process.env, PATH: empty, DOCKER_COMPOSE: '' } });
    assert.equal(r.status, 127);
    assert.equal(r.stderr, NO_COMPOSE);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('the wrapper runs this machine\'s real Compose on the stack: config parses', () => {
  const r = spawnSync(process.execPath, [WRAPPER, 'config', '--quiet'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
});

test('npm run monitor:health and monitor:metrics aim at GATEWAY, GATEWAY_2, PUBLISHER, NATS_MONITOR, PROMETHEUS, GRAFANA', async () => {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    res.setHeader('content-type', 'application/json');
    res.end('{"status":"ok"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    const env = { GATEWAY: `${base}/gw1`, GATEWAY_2: `${base}/gw2`, PUBLISHER: `${base}/pub`, NATS_MONITOR: `${base}/nats`, PROMETHEUS: `${base}/prom`, GRAFANA: `${base}/graf` };
    // npm runs asynchronously here: the server must answer meanwhile.
    const run = (script: string) =>
      new Promise<{ status: number | null; out: string }>((resolve) => {
        void import('node:child_process').then(({ spawn }) => {
          const child = spawn('npm', ['run', '--silent', script], { cwd: root, env: { ...process.env, ...env } });
          let out = '';
          child.stdout.on('data', (c: Buffer) => (out += c.toString()));
          child.stderr.on('data', (c: Buffer) => (out += c.toString()));
          child.on('exit', (status) => resolve({ status, out }));
        });
      });
    const health = await run('monitor:health');
    assert.equal(health.status, 0, health.out);
    assert.deepEqual([...paths].sort(), ['/graf/api/health', '/gw1/health', '/gw2/health', '/nats/healthz', '/prom/-/healthy', '/pub/health']);
    const metrics = await run('monitor:metrics');
    assert.equal(metrics.status, 0, metrics.out);
    assert.equal(paths.at(-1), '/gw1/metrics');
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('without PUBLISHER and NATS_MONITOR, the scripts reach PUBLISHER_CONTAINER and NATS_CONTAINER with docker exec', () => {
  const bin = fakeBin({ docker: 'case "$3" in wget) echo ok;; *) printf "200\\n{}\\n";; esac' });
  try {
    const env = { PUBLISHER_CONTAINER: 'my-publisher', NATS_CONTAINER: 'my-nats', GATEWAY: 'http://127.0.0.1:9/x', GATEWAY_2: 'http://127.0.0.1:9/x', PROMETHEUS: 'http://127.0.0.1:9/x', GRAFANA: 'http://127.0.0.1:9/x' };
    const stats = npmRun('monitor:publisher:stats', env, bin.dir);
    assert.equal(stats.status, 0, stats.stderr);
    const health = npmRun('monitor:health', env, bin.dir);
    assert.equal(health.status, 1, 'the gateways are unreachable (port 9)');
    const calls = bin.calls();
    assert.match(calls[0]!, /^docker exec my-publisher node -e .* http:\/\/127\.0\.0\.1:3003\/stats$/s);
    assert.ok(calls.some((c) => c.startsWith('docker exec my-nats wget -q -O - http://127.0.0.1:8222/healthz')), calls.join('\n'));
    assert.ok(calls.some((c) => c.startsWith('docker exec my-publisher node -e') && c.endsWith('/health')), calls.join('\n'));
  } finally {
    rmSync(bin.dir, { recursive: true, force: true });
  }
});
