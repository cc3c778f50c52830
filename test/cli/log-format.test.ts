// Logs a person can read on a terminal, JSON for programs: `npx odin dev` on a
// terminal (run under a pseudo-terminal by util-linux `script`) prints one
// pretty line per record; through a pipe, or with --log-format json /
// LOG_FORMAT=json, one JSON object per line; --log-format pretty forces the
// readable lines into a pipe too (docs/operations.md "Logs").
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { CLI, REPO_ROOT } from '../helpers/child-process.js';
import { runCommand, runOnTerminal, type CommandOutput } from '../helpers/command-output.js';
import { duplicateKeys } from '../helpers/json-keys.js';

/** pino-pretty's line: [HH:MM:ss.mmm] LEVEL (pid)?: message ... */
const PRETTY = /^\[\d\d:\d\d:\d\d\.\d{3}\] (TRACE|DEBUG|INFO|WARN|ERROR|FATAL)( \(\d+\))?: \S/;
// npm's own spinner and warnings (a terminal shows them too) are not the CLI's lines: kept out.
const NPX_ENV = { ...process.env, npm_config_update_notifier: 'false', npm_config_progress: 'false', npm_config_loglevel: 'error' };

const running: CommandOutput[] = [];
after(async () => {
  for (const r of running) await r.stop('SIGKILL');
});

function started(r: CommandOutput): CommandOutput {
  running.push(r);
  return r;
}

function assertJsonLines(lines: string[]): void {
  assert.ok(lines.length > 0);
  for (const line of lines) {
    const entry = JSON.parse(line) as Record<string, unknown>;
    assert.equal(typeof entry.event, 'string', `every JSON line names its event: ${line}`);
    assert.deepEqual(duplicateKeys(line), [], `no key twice: ${line}`);
  }
}

describe('log format', () => {
  it('script(1) is there to give the CLI a terminal', () => {
    const r = spawnSync('script', ['--version'], { encoding: 'utf8' });
    assert.equal(r.status, 0, 'util-linux script is installed (bsdutils)');
  });

  it('npx odin dev on a terminal prints readable lines, the start line among them, and no JSON', async () => {
    const dev = started(runOnTerminal(['npx', 'odin', 'dev', '--port', '0', '--control-port', '0'], { cwd: REPO_ROOT, env: NPX_ENV }));
    const line = await dev.waitForLine((l) => / odin dev \d+\.\d+\.\d+ open http:\/\/localhost:\d+\//.test(l), 'the pretty start line');
    assert.match(line, PRETTY);
    assert.match(line, /"event":"dev_ready"/, 'the fields follow the message on the same line');
    for (const l of dev.lines) {
      assert.match(l, PRETTY, `a readable line: ${l}`);
      assert.ok(!l.startsWith('{'), `no JSON line on a terminal: ${l}`);
    }
    assert.equal(await dev.stop(), 0);
  });

  it('npx odin dev --log-format json on a terminal prints JSON lines', async () => {
    const dev = started(runOnTerminal(['npx', 'odin', 'dev', '--port', '0', '--control-port', '0', '--log-format', 'json'], { cwd: REPO_ROOT, env: NPX_ENV }));
    await dev.waitForLine((l) => l.includes('"event":"dev_ready"'), 'the JSON dev_ready line');
    assertJsonLines(dev.lines);
    await dev.stop();
  });

  it('LOG_FORMAT=json on a terminal prints JSON lines (npx odin gateway)', async () => {
    const gateway = started(runOnTerminal(['npx', 'odin', 'gateway', '--port', '0'], { cwd: REPO_ROOT, env: { ...NPX_ENV, LOG_FORMAT: 'json' } }));
    await gateway.waitForLine((l) => l.includes('"event":"odin_started"'), 'the JSON start line');
    assertJsonLines(gateway.lines);
    await gateway.stop();
  });

  it('through a pipe npx odin gateway prints JSON lines; --log-format pretty forces readable ones', async () => {
    const json = started(runCommand('npx', ['odin', 'gateway', '--port', '0'], { cwd: REPO_ROOT, env: NPX_ENV }));
    await json.waitForLine((l) => l.includes('"event":"odin_started"'), 'the JSON start line');
    assertJsonLines(json.lines);
    await json.stop();
    const pretty = started(runCommand('npx', ['odin', 'gateway', '--port', '0', '--log-format', 'pretty'], { cwd: REPO_ROOT, env: NPX_ENV }));
    const line = await pretty.waitForLine((l) => / odin gateway \d+\.\d+\.\d+ listening ws:\/\//.test(l), 'the pretty start line');
    assert.match(line, PRETTY);
    for (const l of pretty.lines) assert.match(l, PRETTY, `a readable line: ${l}`);
    await pretty.stop();
  });

  it('an unknown --log-format is a configuration error naming the choices', () => {
    const r = spawnSync(process.execPath, [CLI, 'gateway', '--log-format', 'xml'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--log-format\/LOG_FORMAT: must be one of auto, json, pretty/);
  });

  it('pino-pretty is a locked runtime dependency that loads', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    assert.ok(pkg.dependencies['pino-pretty'], 'in dependencies (the production image needs it)');
    const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
    assert.match(lock.packages['node_modules/pino-pretty']?.version ?? '', /^\d+\.\d+\.\d+$/);
    const pretty = createRequire(join(REPO_ROOT, 'package.json'))('pino-pretty') as (o: object) => unknown;
    assert.equal(typeof pretty, 'function');
  });
});
