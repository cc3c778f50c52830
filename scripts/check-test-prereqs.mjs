#!/usr/bin/env node
// The programs the test suite starts for real: checked all at once before any
// test runs, so a fresh machine gets one message naming everything missing and
// the one command that installs it, rather than a failure per test.
// Usage: node scripts/check-test-prereqs.mjs (exit 1 when something is missing)
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const INSTALL_COMMAND = 'bash .ci/install-system-deps.sh';
/** Multi-filter consumers, which the NATS broker uses, came with nats-server 2.10. */
const NATS_MIN = [2, 10];

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The override variable's path, else the first `name` on PATH, else the fixed places the tests also look. */
function locate(name, env, override, fixed = []) {
  if (override && env[override]) return executable(env[override]) ? env[override] : undefined;
  for (const dir of (env.PATH ?? '').split(delimiter)) if (dir && executable(join(dir, name))) return join(dir, name);
  return fixed.find(executable);
}

function natsVersionProblem(bin) {
  const out = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  const m = /v(\d+)\.(\d+)/.exec(`${out.stdout}${out.stderr}`);
  if (!m) return `nats-server (${bin} --version printed no version)`;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  if (major > NATS_MIN[0] || (major === NATS_MIN[0] && minor >= NATS_MIN[1])) return undefined;
  return `nats-server >= ${NATS_MIN.join('.')} (${bin} is ${m[0]})`;
}

/** What is missing, one line each; empty when the suite can run. */
export function missingPrerequisites(env = process.env) {
  const missing = [];
  const nats = locate('nats-server', env, 'NATS_SERVER_BIN');
  if (!nats) missing.push('nats-server >= 2.10 (on PATH or NATS_SERVER_BIN)');
  else {
    const problem = natsVersionProblem(nats);
    if (problem) missing.push(problem);
  }
  if (!locate('prometheus', env, 'PROMETHEUS_BIN', ['/usr/local/bin/prometheus', '/usr/bin/prometheus'])) missing.push('prometheus (on PATH or PROMETHEUS_BIN)');
  if (!locate('promtool', env, 'PROMTOOL_BIN', ['/usr/local/bin/promtool', '/usr/bin/promtool'])) missing.push('promtool (on PATH or PROMTOOL_BIN)');
  // The browser test launches this path (never a downloaded browser).
  const chromium = env.CHROMIUM_BIN ?? '/usr/bin/chromium';
  if (!executable(chromium)) missing.push(`chromium (${chromium}, or set CHROMIUM_BIN)`);
  if (!locate('docker-compose', env, 'DOCKER_COMPOSE_BIN')) missing.push('docker-compose (on PATH or DOCKER_COMPOSE_BIN; its `config` check needs no Docker engine)');
  // The deploy tests (test/deploy): nginx in front of gateways, Alertmanager behind Prometheus, openssl for a certificate.
  if (!locate('nginx', env, 'NGINX_BIN', ['/usr/sbin/nginx', '/usr/bin/nginx'])) missing.push("nginx (Debian's, on PATH, /usr/sbin/nginx or NGINX_BIN)");
  if (!locate('prometheus-alertmanager', env, 'ALERTMANAGER_BIN', ['/usr/bin/prometheus-alertmanager', '/usr/local/bin/alertmanager'])) {
    missing.push("alertmanager (Debian's prometheus-alertmanager, or ALERTMANAGER_BIN)");
  }
  if (!locate('openssl', env, 'OPENSSL_BIN', ['/usr/bin/openssl'])) missing.push('openssl (on PATH or OPENSSL_BIN)');
  // The log-format test runs the CLI on a pseudo-terminal through util-linux `script` (Debian's bsdutils).
  if (!locate('script', env, undefined, ['/usr/bin/script'])) missing.push("script (util-linux; Debian's bsdutils)");
  // The Python client's tests (clients/python) run pytest on Debian's Python with its websockets.
  const python = env.PYTHON_BIN ?? '/usr/bin/python3';
  if (!executable(python) || spawnSync(python, ['-c', 'import websockets, pytest']).status !== 0) {
    missing.push(`python3 with websockets and pytest (${python}: Debian's python3-websockets and python3-pytest, or set PYTHON_BIN)`);
  }
  return missing;
}

export function missingMessage(missing) {
  return `The tests need programs this machine lacks:\n${missing.map((m) => `  - ${m}`).join('\n')}\nInstall them with: ${INSTALL_COMMAND}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const missing = missingPrerequisites();
  if (missing.length > 0) {
    process.stderr.write(missingMessage(missing));
    process.exit(1);
  }
}
