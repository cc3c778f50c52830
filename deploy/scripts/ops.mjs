#!/usr/bin/env node
// Operator helpers behind the npm scripts (the reference's Taskfile jobs):
//   node deploy/scripts/ops.mjs health|metrics|targets|publisher-start|publisher-stop|publisher-configure|publisher-stats
// Base URLs default to the docker-compose ports; override with GATEWAY,
// GATEWAY_2, PROMETHEUS, GRAFANA. RATE sets messagesPerSecond for
// publisher-start and publisher-configure.
// The publisher's control API and NATS are not published on the host: these
// commands reach them inside their containers (docker exec PUBLISHER_CONTAINER,
// default odin-publisher; NATS_CONTAINER, default odin-nats), unless PUBLISHER
// or NATS_MONITOR give a URL. POST /control sends the publisher's own
// CONTROL_TOKEN (compose sets it from ODIN_CONTROL_TOKEN in .env).
import { spawnSync } from 'node:child_process';

const env = process.env;
const GATEWAY = env.GATEWAY ?? 'http://localhost:3004';
const GATEWAY_2 = env.GATEWAY_2 ?? 'http://localhost:3005';
const PUBLISHER = env.PUBLISHER;
const NATS_MONITOR = env.NATS_MONITOR;
const PROMETHEUS = env.PROMETHEUS ?? 'http://localhost:9091';
const GRAFANA = env.GRAFANA ?? 'http://localhost:3010';
const PUBLISHER_CONTAINER = env.PUBLISHER_CONTAINER ?? 'odin-publisher';
const NATS_CONTAINER = env.NATS_CONTAINER ?? 'odin-nats';

/** Runs fetch inside the publisher's container, on its loopback, with its CONTROL_TOKEN. */
const IN_CONTAINER_FETCH = `
const [url, body] = process.argv.slice(1);
const init = body ? { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + (process.env.CONTROL_TOKEN || '') }, body } : {};
fetch(url, init).then(async (r) => { console.log(r.status); console.log(await r.text()); }, (e) => { console.log('unreachable'); console.log(String(e)); });
`;

function inContainer(label, container, path, body) {
  const args = ['exec', container, 'node', '-e', IN_CONTAINER_FETCH, `http://127.0.0.1:3003${path}`, ...(body ? [JSON.stringify(body)] : [])];
  const r = spawnSync('docker', args, { encoding: 'utf8' });
  if (r.status !== 0) {
    process.stdout.write(`== ${label} (docker exec ${container}) -> failed: ${(r.stderr || r.error?.message || '').trim()}\n`);
    return false;
  }
  const [status, ...rest] = r.stdout.split('\n');
  let text = rest.join('\n').trim();
  try {
    text = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // not JSON: print as is
  }
  process.stdout.write(`== ${label} (docker exec ${container}) ${path} -> ${status}\n${text}\n`);
  if (status === '401') process.stdout.write('   the publisher has no CONTROL_TOKEN of yours: set ODIN_CONTROL_TOKEN in .env and recreate it (npm run docker:up)\n');
  return status.startsWith('2');
}

function natsHealth() {
  if (NATS_MONITOR) return show('nats', `${NATS_MONITOR}/healthz`);
  const r = spawnSync('docker', ['exec', NATS_CONTAINER, 'wget', '-q', '-O', '-', 'http://127.0.0.1:8222/healthz'], { encoding: 'utf8' });
  process.stdout.write(`== nats (docker exec ${NATS_CONTAINER}) /healthz -> ${r.status === 0 ? r.stdout.trim() : `failed: ${(r.stderr || r.error?.message || '').trim()}`}\n`);
  return r.status === 0;
}

async function show(label, url, init) {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
    const text = await res.text();
    let body = text;
    try {
      body = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      // not JSON: print as is
    }
    process.stdout.write(`== ${label} ${url} -> ${res.status}\n${body}\n`);
    return res.ok;
  } catch (err) {
    process.stdout.write(`== ${label} ${url} -> unreachable (${err.cause?.code ?? err.message})\n`);
    return false;
  }
}

function control(body) {
  if (!PUBLISHER) return inContainer('publisher control', PUBLISHER_CONTAINER, '/control', body);
  const token = env.CONTROL_TOKEN ?? env.ODIN_CONTROL_TOKEN ?? '';
  return show('publisher control', `${PUBLISHER}/control`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
}

function publisherGet(label, path) {
  return PUBLISHER ? show(label, `${PUBLISHER}${path}`) : inContainer(label, PUBLISHER_CONTAINER, path);
}

const rate = env.RATE === undefined ? undefined : Number(env.RATE);

const commands = {
  async health() {
    const results = await Promise.all([
      show('gateway-1', `${GATEWAY}/health`),
      show('gateway-2', `${GATEWAY_2}/health`),
      publisherGet('publisher', '/health'),
      natsHealth(),
      show('prometheus', `${PROMETHEUS}/-/healthy`),
      show('grafana', `${GRAFANA}/api/health`),
    ]);
    return results.every(Boolean);
  },
  metrics: () => show('gateway metrics', `${GATEWAY}/metrics`),
  async targets() {
    const res = await fetch(`${PROMETHEUS}/api/v1/targets`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
    if (!res) return show('prometheus targets', `${PROMETHEUS}/api/v1/targets`);
    const { data } = await res.json();
    for (const t of data.activeTargets) process.stdout.write(`${t.health.padEnd(8)} ${t.labels.job.padEnd(16)} ${t.scrapeUrl} ${t.lastError ?? ''}\n`);
    return data.activeTargets.every((t) => t.health === 'up');
  },
  'publisher-start': () => control({ action: 'start', ...(rate !== undefined ? { messagesPerSecond: rate } : {}) }),
  'publisher-stop': () => control({ action: 'stop' }),
  'publisher-configure': () => control({ action: 'configure', messagesPerSecond: rate ?? 20 }),
  'publisher-stats': () => publisherGet('publisher stats', '/stats'),
};

const name = process.argv[2];
if (!commands[name]) {
  process.stderr.write(`usage: ops.mjs ${Object.keys(commands).join('|')}\n`);
  process.exit(2);
}
process.exitCode = (await commands[name]()) ? 0 : 1;
