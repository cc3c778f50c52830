#!/usr/bin/env node
// Deliveries per second through Odin over NATS, with 1 or more gateway
// processes (`odin gateway --workers N`) on one port. Starts a private
// nats-server (test helper, free ports), the gateway, a client process with C
// WebSocket clients subscribed to `token.*.price`, and publishes R msg/s
// (core NATS publish into the JetStream stream) spread over K tokens.
// Deliveries = data messages received by all clients, counted over a window
// after a warm-up. Needs a build first (npm run build).
//
//   node scripts/nats-fanout-bench.mjs --processes 1 --clients 200 --rate 1000 --seconds 10
/* global process, performance, setInterval, clearInterval, setTimeout */
import { fork, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: {
    role: { type: 'string', default: 'main' },
    processes: { type: 'string', default: '1' },
    clients: { type: 'string', default: '200' },
    rate: { type: 'string', default: '1000' },
    tokens: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    url: { type: 'string', default: '' },
  },
});

if (opts.role === 'clients') await runClients();
else await runMain();

/** The client process: C sockets, each subscribed to token.*.price, counting data messages. */
async function runClients() {
  const { default: WebSocket } = await import('ws');
  const count = Number(opts.clients);
  let received = 0;
  let closedAbnormally = 0;
  const sockets = [];
  for (let i = 0; i < count; i++) {
    const ws = new WebSocket(opts.url, { perMessageDeflate: false });
    sockets.push(ws);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.on('message', (raw, isBinary) => {
      if (isBinary) return;
      const text = raw.toString();
      if (!text.startsWith('{"type":"message"')) return;
      let n = 1;
      for (let j = text.indexOf('\n'); j >= 0; j = text.indexOf('\n', j + 1)) n++;
      received += n;
    });
    ws.on('close', (code) => {
      if (code !== 1000 && code !== 1001 && code !== 1005) closedAbnormally++;
    });
    ws.send(JSON.stringify({ type: 'subscribe', id: 1, channels: ['token.*.price'] }));
  }
  process.send({ ready: true });
  setInterval(() => process.send({ received, closedAbnormally, at: performance.now() }), 250).unref();
  process.on('message', (m) => {
    if (m === 'stop') {
      for (const ws of sockets) ws.terminate();
      process.exit(0);
    }
  });
}

async function runMain() {
  const { NatsServer, freePorts } = await import(join(root, 'dist/test/helpers/nats-server.js'));
  const { connect } = await import('@nats-io/transport-node');
  const processes = Number(opts.processes);
  const rate = Number(opts.rate);
  const tokens = Array.from({ length: Number(opts.tokens) }, (_, i) => `TOK${i}`);
  const server = await NatsServer.start();
  let gateway;
  let clients;
  let nc;
  let timer;
  try {
    const [port] = await freePorts(1);
    const args = [join(root, 'dist/src/cli/main.js'), 'gateway', '--nats', server.url, '--port', String(port), '--host', '127.0.0.1', '--log-level', 'info'];
    if (processes > 1) args.push('--workers', String(processes));
    gateway = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve, reject) => {
      let started = 0;
      let buffered = '';
      gateway.once('exit', (code) => reject(new Error(`gateway exited ${code}`)));
      gateway.stdout.on('data', (chunk) => {
        buffered += chunk.toString();
        let nl;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (line.includes('"event":"gateway_started"') && ++started === processes) resolve();
        }
      });
    });

    clients = fork(fileURLToPath(import.meta.url), ['--role', 'clients', '--clients', opts.clients, '--url', `ws://127.0.0.1:${port}/ws`], { stdio: 'inherit' });
    let last = { received: 0, closedAbnormally: 0, at: performance.now() };
    await new Promise((resolve) => clients.on('message', (m) => (m.ready ? resolve() : (last = m))));

    nc = await connect({ servers: server.url });
    const perTick = rate / 100;
    let owed = 0;
    let n = 0;
    timer = setInterval(() => {
      owed += perTick;
      for (; owed >= 1; owed--) {
        const token = tokens[n++ % tokens.length];
        nc.publish(`odin.token.${token}.price`, JSON.stringify({ type: 'price:update', tokenId: token, price: 100 + Math.random(), volume24h: 1e6, timestamp: Date.now(), n }));
      }
    }, 10);

    await sleep(Number(opts.warmup) * 1000);
    const start = last;
    await sleep(Number(opts.seconds) * 1000);
    const end = last;
    const seconds = (end.at - start.at) / 1000;
    const delivered = (end.received - start.received) / seconds;
    const result = {
      processes,
      clients: Number(opts.clients),
      publish_rate: rate,
      expected_deliveries_per_sec: rate * Number(opts.clients),
      deliveries_per_sec: Math.round(delivered),
      ratio: Number((delivered / (rate * Number(opts.clients))).toFixed(3)),
      clients_closed_abnormally: end.closedAbnormally,
      window_sec: Number(seconds.toFixed(2)),
    };
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    clearInterval(timer);
    clients?.send('stop');
    await nc?.close();
    if (gateway && gateway.exitCode === null) {
      gateway.kill('SIGTERM');
      await new Promise((r) => gateway.once('exit', r));
    }
    await server.cleanup();
  }
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
