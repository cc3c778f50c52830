// Issue 20, finding 1, over a real nats-server and a real gateway process:
// clients that resume `token.>` from seq 0 and then never read must cost the
// gateway their byte budget plus one history page each, not their backlog.
// Before the pager, the whole history was read into memory before the replay
// started: 12 such clients took the gateway from 142 to 783 MiB (~50 MiB each
// against a 1 MiB budget).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { api, API_KEY } from '../api/api-fixtures.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { NatsServer } from '../helpers/nats-server.js';
import { TestClient } from '../helpers/test-client.js';
import { startGatewayProcess } from './gateway-process.js';
import { uniqueStream } from './nats-test-kit.js';

const CHANNELS = 20;
const PER_CHANNEL = 1000;
const RESUMERS = 12;
const BUDGET = 1024 * 1024;

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) * 1024;
}

test(`${RESUMERS} non-reading resumers of token.> over NATS cost the gateway about their budget plus one page each`, { timeout: 180_000 }, async () => {
  const server = await NatsServer.start();
  const gw = await startGatewayProcess(['--nats', server.url, '--nats-stream', uniqueStream('RM'), '--api-key', API_KEY, '--max-queue-bytes', String(BUDGET), '--metrics-cache-ms', '0', '--rate-limit-burst', '1000']);
  try {
    const pid = gw.child.pid!;
    // A live reader of the last channel: once the last message reaches it, the gateway has taken in every message.
    const reader = await TestClient.connect(gw.url);
    const last = `token.C${CHANNELS - 1}.price`;
    await reader.subscribe([last, 'token.C0.price']);
    const pad = 'x'.repeat(850);
    let epoch = '';
    // Batches of 200: a busy machine still acknowledges each within the publish timeout.
    for (let i = 0; i < PER_CHANNEL; i += 10) {
      const messages = [];
      for (let n = i; n < i + 10; n++) for (let c = 0; c < CHANNELS; c++) messages.push({ channel: `token.C${c}.price`, data: { type: 'price:update', n, pad } });
      const res = await api(gw.httpUrl, 'POST', '/api/publish', { messages });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      epoch = (res.body.positions as Array<{ epoch: string }>)[0]!.epoch;
    }
    await reader.waitFor(() => reader.dataOn(last).length === PER_CHANNEL, 60_000, 'every message taken in');
    const before = rssBytes(pid);

    const resumers: TestClient[] = [];
    for (let r = 0; r < RESUMERS; r++) {
      const c = await TestClient.connect(gw.url);
      // Never reads again: the kernel's buffers fill, then the server's budget.
      (c.ws as unknown as { _socket: Socket })._socket.pause();
      c.send({ type: 'subscribe', id: 1, channels: [{ channel: 'token.>', since: { seq: 0, epoch } }] });
      resumers.push(c);
    }
    // Positive markers: every resume read its first page (counted as recovered), then a later request of a bystander went through.
    const recoveredCount = async () => metricValue(await fetchMetrics(gw.httpUrl), 'ws_resumes_total', { result: 'recovered' });
    const deadline = Date.now() + 60_000;
    while ((await recoveredCount()) < RESUMERS) {
      assert.ok(Date.now() < deadline, 'every resume to start');
      await new Promise((r) => setTimeout(r, 100));
    }
    let worst = 0;
    for (let round = 0; round < 5; round++) {
      const marker = await api(gw.httpUrl, 'POST', '/api/publish', { channel: 'token.C0.price', data: { type: 'price:update', marker: round } });
      assert.equal(marker.status, 200);
      await reader.waitFor(() => reader.dataOn('token.C0.price').some((m) => (m.data as { marker?: number }).marker === round), 30_000, 'the marker');
      worst = Math.max(worst, rssBytes(pid));
    }
    const grown = worst - before;
    const backlog = CHANNELS * PER_CHANNEL * (pad.length + 100);
    const bound = RESUMERS * (BUDGET + BUDGET / 2) + 64 * 1024 * 1024;
    console.log(`gateway RSS ${(before / 2 ** 20).toFixed(0)} -> ${(worst / 2 ** 20).toFixed(0)} MiB (+${(grown / 2 ** 20).toFixed(1)} MiB) for ${RESUMERS} resumers of a ${(backlog / 2 ** 20).toFixed(1)} MiB backlog each; bound ${(bound / 2 ** 20).toFixed(0)} MiB`);
    assert.ok(grown < bound, `gateway RSS grew by ${grown} bytes, more than ${RESUMERS} x (budget + page) + 64 MiB = ${bound}`);
    for (const c of resumers) c.ws.terminate();
    reader.close();
  } finally {
    await gw.kill('SIGKILL');
    await server.stop();
  }
});
