// Where a subscribed connection's memory goes, in one gateway process:
// starts `odin gateway` (memory broker; its extra arguments after the
// options), opens N WebSocket connections (over 127.0.0.x source addresses),
// each subscribing to S channels, and prints the growth per connection of
// RSS, of V8's used heap and of its committed heap (heapTotal), each after
// two full GCs. The gap between used and committed heap is V8's slack, which
// V8 flags move (NODE_FLAGS="--max-semi-space-size=1" or "--optimize-for-size");
// BENCHMARKS.md ("Scale") quotes it.
//
//   npm run build && node scripts/connection-memory.mjs [connections=10000] [subscriptions=1] [-- gateway options]
//   NODE_FLAGS="--optimize-for-size" node scripts/connection-memory.mjs 10000 6
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const [count = 10_000, subscriptions = 1] = process.argv.slice(2, 4).map(Number);
const extra = process.argv.includes('--') ? process.argv.slice(process.argv.indexOf('--') + 1) : [];
const cli = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freePort = () => new Promise((resolve) => { const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); }); });

const [port, metricsPort] = [await freePort(), await freePort()];
const flags = process.env.NODE_FLAGS ? process.env.NODE_FLAGS.split(' ') : [];
const gateway = spawn(process.execPath, [...flags, '--expose-gc', cli, 'gateway', '--port', String(port), '--host', '127.0.0.1', '--metrics-port', String(metricsPort), '--log-level', 'warn', '--metrics-cache-ms', '0', ...extra], { stdio: ['ignore', 'ignore', 'inherit'] });
gateway.on('exit', (code) => { if (code !== null) { console.error(`gateway exited ${code}`); process.exit(1); } });

async function metrics() {
  for (let tries = 0; ; tries++) {
    try {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const value = (name) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1]);
      return { rss: value('process_resident_memory_bytes'), used: value('nodejs_heap_size_used_bytes'), committed: value('nodejs_heap_size_total_bytes') };
    } catch (err) {
      if (tries > 300) throw err;
      await sleep(200);
    }
  }
}
/** Two full collections (the gateway collects on SIGUSR2 when started with --expose-gc), then the figures. */
async function afterGc() {
  await metrics();
  for (let i = 0; i < 2; i++) { gateway.kill('SIGUSR2'); await sleep(1500); }
  return metrics();
}

const before = await afterGc();
const sockets = [];
let subscribed = 0;
for (let i = 0; i < count; i += 200) {
  await Promise.all(Array.from({ length: Math.min(200, count - i) }, (_, k) => new Promise((resolve) => {
    const n = i + k;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { localAddress: `127.0.0.${2 + (n % 50)}`, perMessageDeflate: false });
    let done = false;
    ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', id: 1, channels: Array.from({ length: subscriptions }, (_, j) => `token.T${(n + j * 37) % 1000}.price`) })));
    ws.on('message', (data) => { if (!done && String(data).includes('"subscribed"')) { done = true; subscribed++; resolve(); } });
    ws.on('error', (err) => { console.error(err.message); resolve(); });
    sockets.push(ws);
  })));
}
const after = await afterGc();
const perConnection = (a, b) => ((a - b) / 1024 / Math.max(1, subscribed)).toFixed(2);
console.log(`${subscribed} connections x ${subscriptions} subscriptions${flags.length ? ` (${flags.join(' ')})` : ''}: RSS ${perConnection(after.rss, before.rss)} KiB/connection, V8 heap used ${perConnection(after.used, before.used)}, committed ${perConnection(after.committed, before.committed)}`);
for (const ws of sockets) ws.terminate();
gateway.removeAllListeners('exit');
gateway.kill('SIGKILL');
process.exit(0);
