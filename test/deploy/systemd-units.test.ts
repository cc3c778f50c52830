// deploy/systemd/: the gateway (a template, one instance per port) and
// publisher units. `systemd-analyze verify` parses them as systemd would (an
// unknown key, a bad value or a missing program fails), `systemd-analyze
// security` rates their sandbox; the stop settings leave room for a drain; the
// example environment files name only real options; and each unit's ExecStart
// runs for real with its environment files alone (as systemd would, with a
// clean environment), starts, and exits 0 on SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gatewayOptionTable } from '../../src/config/gateway-options.js';
import { publisherOptionTable } from '../../src/config/publisher-options.js';
import { repoRoot } from '../../src/observability/dashboards/write-dashboards.js';
import { NatsServer } from '../helpers/nats-server.js';
import { freePort } from '../helpers/prometheus-server.js';

const root = repoRoot();
const DIR = join(root, 'deploy/systemd');
const INSTALL_DIR = '/opt/odin';
const SYSTEMD_ANALYZE = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' }).stdout.trim();
const NO_SYSTEMD_ANALYZE = SYSTEMD_ANALYZE ? false : 'systemd-analyze is not on this machine (it comes with systemd); the unit files are still checked below';

interface Unit {
  file: string;
  /** The name systemd-analyze is given (a template is verified through an instance). */
  instance: string;
  command: 'gateway' | 'publisher';
  envNames: Set<string>;
}

const envNamesOf = (table: Record<string, { env?: string }>): Set<string> => new Set(Object.values(table).flatMap((o) => (o.env ? [o.env] : [])));
const UNITS: Unit[] = [
  { file: 'odin-gateway@.service', instance: 'odin-gateway@1.service', command: 'gateway', envNames: envNamesOf(gatewayOptionTable) },
  { file: 'odin-publisher.service', instance: 'odin-publisher.service', command: 'publisher', envNames: envNamesOf(publisherOptionTable) },
];

/** Every value of a key in the [Service] (or any) section, in order. */
function values(unitText: string, key: string): string[] {
  return [...unitText.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!.trim());
}

function one(unitText: string, key: string): string {
  const all = values(unitText, key);
  assert.equal(all.length, 1, `${key}= set once (${all.length})`);
  return all[0]!;
}

/** VAR=value lines of an environment file; commented examples (`#VAR=`) listed apart. */
function envFile(path: string): { set: Record<string, string>; commented: string[] } {
  const set: Record<string, string> = {};
  const commented: string[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const active = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (active) set[active[1]!] = active[2]!;
    const example = /^#([A-Z][A-Z0-9_]*)=/.exec(line);
    if (example) commented.push(example[1]!);
  }
  return { set, commented };
}

/** The shipped environment files a unit reads, for an instance name (`%i`). */
function envFilesOf(unitText: string, instance: string): string[] {
  return values(unitText, 'EnvironmentFile').map((p) => {
    const path = p.replace(/^-/, '').replace('%i', instance);
    assert.ok(path.startsWith('/etc/odin/'), `EnvironmentFile under /etc/odin: ${path}`);
    const shipped = join(DIR, basename(path));
    assert.ok(existsSync(shipped), `deploy/systemd/${basename(path)} is shipped as the example of ${path}`);
    return shipped;
  });
}

/** The unit as systemd-analyze sees it here: where node is not /usr/bin/node, ExecStart names this machine's node. */
function unitForThisMachine(text: string): string {
  return existsSync('/usr/bin/node') ? text : text.replaceAll('/usr/bin/node', process.execPath);
}

for (const unit of UNITS) {
  const text = readFileSync(join(DIR, unit.file), 'utf8');

  test(`${unit.file}: systemd-analyze verify finds nothing to say`, { skip: NO_SYSTEMD_ANALYZE }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'odin-systemd-'));
    try {
      writeFileSync(join(dir, unit.file), unitForThisMachine(text));
      if (unit.instance !== unit.file) symlinkSync(unit.file, join(dir, unit.instance));
      const r = spawnSync(SYSTEMD_ANALYZE, ['verify', join(dir, unit.instance)], { encoding: 'utf8', cwd: dir });
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
      // Unknown keys and unparsable values are warnings with status 0: none allowed.
      assert.equal(`${r.stdout}${r.stderr}`.trim(), '', 'no warning');
      const security = spawnSync(SYSTEMD_ANALYZE, ['security', '--offline=true', join(dir, unit.instance)], { encoding: 'utf8', cwd: dir });
      const level = /Overall exposure level for \S+: ([\d.]+)/.exec(`${security.stdout}${security.stderr}`);
      assert.ok(level, `systemd-analyze security rates the unit: ${security.stdout}${security.stderr}`);
      assert.ok(Number(level[1]) <= 2.5, `exposure level ${level[1]} is at most 2.5 (OK)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`${unit.file}: stops with SIGTERM and time for the drain, hardened, environment from files of real options`, () => {
    assert.equal(one(text, 'KillSignal'), 'SIGTERM');
    assert.equal(one(text, 'ExecStart'), `/usr/bin/node ${INSTALL_DIR}/dist/src/cli/main.js ${unit.command}`);
    assert.equal(one(text, 'RestartPreventExitStatus'), '2', 'a configuration error (exit 2) is not restarted in a loop');
    const instance = unit.instance.includes('@') ? '1' : '';
    const files = envFilesOf(text, instance);
    assert.ok(files.length > 0, 'EnvironmentFile= is set');
    const env: Record<string, string> = {};
    for (const f of files) {
      const { set, commented } = envFile(f);
      for (const name of [...Object.keys(set), ...commented]) assert.ok(unit.envNames.has(name), `${basename(f)}: ${name} is a variable of odin ${unit.command}`);
      Object.assign(env, set);
    }
    const stopSec = Number(one(text, 'TimeoutStopSec'));
    if (unit.command === 'gateway') {
      const drain = Number(env.DRAIN_SECONDS ?? gatewayOptionTable.drainSeconds.default);
      const shutdown = Number(env.SHUTDOWN_TIMEOUT_MS ?? gatewayOptionTable.shutdownTimeoutMs.default) / 1000;
      assert.ok(stopSec > drain + shutdown, `TimeoutStopSec ${stopSec} is above DRAIN_SECONDS ${drain} + SHUTDOWN_TIMEOUT_MS ${shutdown} s`);
      assert.equal(one(text, 'KillMode'), 'mixed', 'with WORKERS the primary drains its workers: SIGTERM to it alone');
      assert.ok(Number(one(text, 'LimitNOFILE')) >= 65536, 'room for connections (one open file each)');
    } else {
      assert.ok(stopSec >= 30, `TimeoutStopSec ${stopSec} leaves room for pending acknowledgements`);
      assert.ok(Number(one(text, 'LimitNOFILE')) >= 1024);
    }
    for (const [key, value] of Object.entries({ DynamicUser: 'yes', NoNewPrivileges: 'yes', ProtectSystem: 'strict', ProtectHome: 'yes', PrivateTmp: 'yes', CapabilityBoundingSet: '', RestrictAddressFamilies: 'AF_INET AF_INET6 AF_UNIX' })) {
      assert.equal(one(text, key), value, `${key}=${value}`);
    }
    assert.deepEqual(values(text, 'MemoryDenyWriteExecute'), [], "no MemoryDenyWriteExecute: V8's JIT needs it off");
  });
}

/** Runs a unit's ExecStart (the install folder being this checkout) with only its environment files and `overrides`. */
function runExecStart(unit: Unit, instance: string, overrides: Record<string, string>) {
  const text = readFileSync(join(DIR, unit.file), 'utf8');
  const [, script, ...args] = one(text, 'ExecStart').split(/\s+/);
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  for (const f of envFilesOf(text, instance)) Object.assign(env, envFile(f).set);
  Object.assign(env, overrides);
  const child = spawn(process.execPath, [script!.replace(INSTALL_DIR, root), ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: string[] = [];
  let stderr = '';
  let partial = '';
  child.stdout!.on('data', (c: Buffer) => {
    partial += c.toString();
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      try {
        events.push(String((JSON.parse(line) as { event?: string }).event));
      } catch {
        // not a log line
      }
    }
  });
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = async (event: string): Promise<void> => {
    // A cap on a readiness wait (a positive marker: the log line), not a time bound.
    const deadline = Date.now() + 60_000;
    while (!events.includes(event)) {
      if (child.exitCode !== null) throw new Error(`odin ${unit.command} exited (${child.exitCode}) before ${event}: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`no ${event} from odin ${unit.command}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, events, exited, waitFor, env };
}

test('each unit\'s ExecStart, with only its example environment files, starts and exits 0 on SIGTERM', { timeout: 120_000 }, async () => {
  const nats = await NatsServer.start();
  const running: Array<ReturnType<typeof runExecStart>> = [];
  try {
    // Only what this machine needs changed: the NATS URL and free ports.
    const gateway = runExecStart(UNITS[0]!, '1', { NATS_URL: nats.url, PORT: String(await freePort()), METRICS_PORT: String(await freePort()) });
    running.push(gateway);
    await gateway.waitFor('gateway_started');
    await gateway.waitFor('nats_broker_started');
    const ready = await fetch(`http://127.0.0.1:${gateway.env.METRICS_PORT}/readyz`);
    assert.equal(ready.status, 200, 'the gateway is ready, its probes on the metrics port of gateway-1.env');
    assert.equal(gateway.env.INSTANCE_ID, 'gateway-1');

    const publisher = runExecStart(UNITS[1]!, '', { NATS_URL: nats.url, PORT: String(await freePort()) });
    running.push(publisher);
    await publisher.waitFor('publisher_started');

    publisher.child.kill('SIGTERM');
    assert.equal(await publisher.exited, 0, 'the publisher stops cleanly on SIGTERM');
    gateway.child.kill('SIGTERM');
    assert.equal(await gateway.exited, 0, 'the gateway drains and exits 0 on SIGTERM');
  } finally {
    for (const r of running) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    await nats.cleanup();
  }
});
