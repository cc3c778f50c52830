#!/usr/bin/env node
// Operator helpers behind the npm scripts (the reference's Taskfile jobs):
//   node deploy/scripts/ops.mjs health|metrics|targets|publisher-start|publisher-stop|publisher-configure|publisher-stats
// Base URLs default to the docker-compose ports; override with GATEWAY,
// GATEWAY_2, PUBLISHER, NATS_MONITOR, PROMETHEUS, GRAFANA. RATE sets
// messagesPerSecond for publisher-start and publisher-configure.
const env = process.env;
const GATEWAY = env.GATEWAY ?? 'http://localhost:3004';
const GATEWAY_2 = env.GATEWAY_2 ?? 'http://localhost:3005';
const PUBLISHER = env.PUBLISHER ?? 'http://localhost:3003';
const NATS_MONITOR = env.NATS_MONITOR ?? 'http://localhost:8222';
const PROMETHEUS = env.PROMETHEUS ?? 'http://localhost:9091';
const GRAFANA = env.GRAFANA ?? 'http://localhost:3010';

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
  return show('publisher control', `${PUBLISHER}/control`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

const rate = env.RATE === undefined ? undefined : Number(env.RATE);

const commands = {
  async health() {
    const results = await Promise.all([
      show('gateway-1', `${GATEWAY}/health`),
      show('gateway-2', `${GATEWAY_2}/health`),
      show('publisher', `${PUBLISHER}/health`),
      show('nats', `${NATS_MONITOR}/healthz`),
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
  'publisher-stats': () => show('publisher stats', `${PUBLISHER}/stats`),
};

const name = process.argv[2];
if (!commands[name]) {
  process.stderr.write(`usage: ops.mjs ${Object.keys(commands).join('|')}\n`);
  process.exit(2);
}
process.exitCode = (await commands[name]()) ? 0 : 1;
