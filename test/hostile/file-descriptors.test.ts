// Finding 3: file descriptors. Under `ulimit -n 128`, 150 idle TCP sockets
// (or 150 WebSocket clients) used to crash the gateway: the resource sampler
// read /proc under EMFILE and threw out of its timer. Now the connection
// limit follows the open-file limit, sockets over the budget are closed at
// once (counted), idle ones at the handshake deadline, and no timer throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { fileBudget, openFileLimit } from '../../src/gateway/file-limit.js';
import { guardedInterval } from '../../src/gateway/guarded-timer.js';
import type { Server } from 'node:http';
import { startOdin } from '../helpers/child-process.js';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { TestClient } from '../helpers/test-client.js';
import { allClosed, Bystander, publishContinuously, rawSocket } from './bystander.js';

test('the connection limit is the lower of the memory budget and the open-file limit minus a reserve', () => {
  assert.equal(openFileLimit('Limit  Soft Limit Hard Limit Units\nMax open files            128                  128                  files     \n'), 128);
  assert.equal(openFileLimit('Max open files            unlimited            unlimited            files\n'), undefined);
  assert.deepEqual(fileBudget(128), { openFiles: 128, maxSockets: 80, maxConnections: 64 });
  assert.equal(fileBudget(undefined).maxConnections, Infinity);
  assert.ok((openFileLimit() ?? 0) > 0, 'this Linux process has an open-file limit');
});

test('a timer whose callback throws reports the error instead of crashing the process', async () => {
  const errors: string[] = [];
  const timer = guardedInterval('test_timer', 5, () => {
    throw new Error('EMFILE: too many open files, uv_resident_set_memory');
  }, (name, err) => errors.push(`${name}: ${String(err)}`));
  try {
    while (errors.length < 3) await new Promise((r) => setTimeout(r, 5));
  } finally {
    clearInterval(timer);
  }
  assert.match(errors[0]!, /^test_timer: Error: EMFILE/);
});

test('under ulimit -n 128, 150 idle sockets and 150 WebSocket clients leave the gateway up and a bystander receiving', async () => {
  const odin = startOdin(
    ['dev', '--port', '0', '--host', '127.0.0.1', '--control-api', 'false', '--rate', '50', '--tokens', 'BTC', '--trade-rate', '0', '--handshake-timeout-ms', '2000'],
    {},
    { openFiles: 128 },
  );
  const attackers: WebSocket[] = [];
  try {
    const started = await odin.waitForEvent('gateway_started');
    const port = started.port as number;
    assert.equal(started.max_connections, 64, '(128 - 48 reserved) x 0.8');
    await odin.waitForEvent('connection_limit_from_open_files');
    const bystander = await Bystander.join(`ws://127.0.0.1:${port}/ws`);

    // 150 TCP sockets that never send a byte: the first fill the socket budget, the rest are dropped at once.
    const idle = await Promise.all(Array.from({ length: 150 }, () => rawSocket(port)));
    await allClosed(idle, 20_000, 'idle sockets');
    await bystander.keepsReceiving(20);

    // 150 WebSocket clients: up to the limit open, the others are refused (503) or dropped.
    const outcomes = await Promise.all(
      Array.from({ length: 150 }, () => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: false });
        attackers.push(ws);
        return new Promise<string>((resolve) => {
          ws.on('open', () => resolve('open'));
          ws.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
          ws.on('error', () => resolve('error'));
        });
      }),
    );
    const opened = outcomes.filter((o) => o === 'open').length;
    console.log(`# 150 WebSocket clients under ulimit -n 128: ${opened} opened, ${outcomes.filter((o) => o === '503').length} refused with 503, ${outcomes.filter((o) => o === 'error').length} dropped`);
    assert.ok(opened <= 63, `${opened} opened beside the bystander with a limit of 64`);
    await bystander.keepsReceiving(20);
    for (const ws of attackers) ws.terminate();
    await bystander.keepsReceiving(20);

    assert.equal(odin.child.exitCode, null, `the gateway exited: ${odin.stderr}`);
    const live = await fetch(`http://127.0.0.1:${port}/livez`);
    assert.equal(live.status, 200);
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const dropped = metricValue(text, 'ws_connections_failed_total', { reason: 'fd_limit' });
    const timedOut = metricValue(text, 'ws_connections_failed_total', { reason: 'handshake_timeout' });
    const capacity = metricValue(text, 'ws_connections_failed_total', { reason: 'capacity' });
    console.log(`# counted: fd_limit ${dropped}, handshake_timeout ${timedOut}, capacity ${capacity}, timer errors ${metricValue(text, 'ws_timer_errors_total')}`);
    assert.ok(dropped > 0, 'no socket was dropped at the open-file budget');
    assert.ok(timedOut > 0, 'no idle socket was closed at the handshake deadline');
    assert.ok(capacity > 0, 'no WebSocket client was refused at capacity');
    assert.ok(odin.lines.some((l) => l.event === 'socket_refused' && l.reason === 'fd_limit'), 'fd_limit refusals are not logged');
    bystander.assertUnharmed('150 idle sockets and 150 WebSocket clients under ulimit -n 128');
    bystander.close();
  } finally {
    for (const ws of attackers) ws.terminate();
    odin.kill();
    await odin.exited;
  }
});

test('accept failing with EMFILE pauses accepting for a moment, is counted, and crashes nothing', async () => {
  const h = await startTestGateway();
  const publisher = publishContinuously(h.broker);
  const bystander = await Bystander.join(h.url);
  try {
    // What Node's net.Server emits when accept() fails for want of descriptors (libuv could not shed the connection).
    // Provoking it for real needs the process's own reserve of descriptors used up, which the budget prevents.
    const server = (h.gateway as unknown as { parts: { server: Server } }).parts.server;
    server.emit('error', Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', errno: -24, syscall: 'accept' }));
    const shed = await rawSocket(h.port);
    await allClosed([shed], 5000, 'socket arriving while accepting is paused');
    // Accepting resumes by itself: a new client gets in.
    let late: TestClient | undefined;
    for (let deadline = Date.now() + 10_000; !late && Date.now() < deadline; ) {
      late = await TestClient.connect(h.url).catch(() => undefined);
      if (!late) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(late, 'accepting never resumed');
    late.close();
    const text = await fetchMetrics(h.httpUrl);
    assert.ok(metricValue(text, 'ws_connections_failed_total', { reason: 'accept_error' }) >= 2, 'the EMFILE and the shed socket are counted');
    await bystander.keepsReceiving(20);
    bystander.assertUnharmed('accept failing with EMFILE');
  } finally {
    publisher.stop();
    bystander.close();
    await h.stop();
  }
});
