// The CLI as the docs write it: `npx odin ...` from the repository. Help for
// every command (-h, --help, `odin help <command>`) describes the command,
// lists every option in groups and shows examples; --version prints the
// package's version; an unknown command exits 2.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, REPO_ROOT } from '../helpers/child-process.js';
import { gatewayOptionTable } from '../../src/config/gateway-options.js';

const COMMANDS = ['dev', 'gateway', 'publisher', 'stream', 'publish', 'load', 'bench', 'token'];

function npxOdin(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  // As a newcomer types it, in the checkout: npx finds the package's own `odin` bin.
  const r = spawnSync('npx', ['odin', ...args], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function odin(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('odin CLI help and version', () => {
  it('npx odin --version prints the version of package.json', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = npxOdin('--version');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), `odin ${pkg.version}`);
  });

  it('npx odin -h describes Odin, lists every command and shows examples', () => {
    const r = npxOdin('-h');
    assert.equal(r.status, 0, r.stderr);
    for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`^ {2}${c} +\\S`, 'm'), `command ${c} listed`);
    assert.match(r.stdout, /real-time market-data gateway/);
    assert.match(r.stdout, /^examples:\n {2}npx odin dev/m);
    assert.match(r.stdout, /Exit status: 0 done, 1 failed/);
  });

  it('npx odin help gateway, odin gateway --help and -h print the same grouped help with every option', () => {
    const viaHelp = npxOdin('help', 'gateway');
    assert.equal(viaHelp.status, 0, viaHelp.stderr);
    assert.equal(odin('gateway', '--help').stdout, viaHelp.stdout);
    assert.equal(odin('gateway', '-h').stdout, viaHelp.stdout);
    assert.match(viaHelp.stdout, /^usage: odin gateway \[options\]\n\nThe WebSocket gateway alone/);
    for (const group of ['listening and processes:', 'broker (NATS/JetStream) and history:', 'channels and identity (JWT):', 'client limits and capacity:', 'examples:']) {
      assert.ok(viaHelp.stdout.includes(`\n${group}\n`), `group ${group}`);
    }
    for (const spec of Object.values(gatewayOptionTable)) {
      assert.match(viaHelp.stdout, new RegExp(`^  --${spec.flag} `, 'm'), `--${spec.flag} listed`);
    }
  });

  it('every command has a description, options and examples written with npx odin', () => {
    for (const c of COMMANDS) {
      const r = odin('help', c);
      assert.equal(r.status, 0, `${c}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^usage: odin ${c}`), c);
      assert.match(r.stdout, /\n\n[A-Z][^\n]+\n/, `${c} has a description`);
      assert.match(r.stdout, new RegExp(`\nexamples:\n(  .*\n)*  (\\S+=\\S+ )?npx odin ${c}`), `${c} has examples`);
    }
    const sub = odin('load', 'api-publish', '--help');
    assert.match(sub.stdout, /^usage: odin load api-publish/);
  });

  it('an unknown command, in help or not, exits 2 with the usage', () => {
    const r = odin('help', 'gatway');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown command "gatway"/);
    assert.equal(odin('serve').status, 2);
  });
});
