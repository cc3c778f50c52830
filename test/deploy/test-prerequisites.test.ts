// `npm test` on a machine that lacks a program the suite starts for real stops
// before any test runs, with one message naming each missing program and the
// one command that installs them (scripts/check-test-prereqs.mjs).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { repoRoot } from '../../src/observability/dashboards/write-dashboards.js';

const root = repoRoot();
const OVERRIDES = ['NATS_SERVER_BIN', 'PROMETHEUS_BIN', 'PROMTOOL_BIN', 'CHROMIUM_BIN', 'DOCKER_COMPOSE_BIN', 'NGINX_BIN', 'ALERTMANAGER_BIN', 'OPENSSL_BIN'];
const HINT = 'Install them with: bash .ci/install-system-deps.sh';

/** The environment with PATH = `dir` only, and no override variables. */
function envWithPath(dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: dir };
  for (const k of OVERRIDES) delete env[k];
  return env;
}

function which(name: string): string {
  return spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
}

describe('test prerequisites', () => {
  const bin = mkdtempSync(join(tmpdir(), 'odin-prereq-'));
  after(() => rmSync(bin, { recursive: true, force: true }));

  it('are all present on this machine (the suite is running)', () => {
    const r = spawnSync(process.execPath, ['scripts/check-test-prereqs.mjs'], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });

  it('without nats-server and docker-compose on PATH, run-tests stops before any test with one message and the install command', () => {
    const empty = mkdtempSync(join(bin, 'empty-'));
    const r = spawnSync(process.execPath, ['scripts/run-tests.mjs', 'no-such-test'], { cwd: root, encoding: 'utf8', env: envWithPath(empty) });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^The tests need programs this machine lacks:\n/);
    assert.match(r.stderr, /- nats-server >= 2\.10/);
    assert.match(r.stderr, /- docker-compose/);
    assert.equal(r.stderr.split(HINT).length, 2, `one install hint:\n${r.stderr}`);
    assert.doesNotMatch(`${r.stdout}${r.stderr}`, /no test files found|# tests/, 'no test ran');
  });

  it('a nats-server older than 2.10 counts as missing, named with its version', () => {
    const fake = join(bin, 'nats-server');
    writeFileSync(fake, '#!/bin/sh\necho "nats-server: v2.9.25"\n');
    chmodSync(fake, 0o755);
    const compose = which('docker-compose');
    if (compose) symlinkSync(compose, join(bin, 'docker-compose'));
    const r = spawnSync(process.execPath, ['scripts/check-test-prereqs.mjs'], { cwd: root, encoding: 'utf8', env: envWithPath(bin) });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /- nats-server >= 2\.10 \(.*nats-server is v2\.9\)/);
    assert.ok(r.stderr.includes(HINT));
  });
});
