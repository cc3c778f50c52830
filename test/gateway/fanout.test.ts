// Fan-out: one encoding and one frame per channel batch, the same bytes for
// every subscriber, a byte-bounded queue per client, and a stalled client that
// cannot slow the others.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import type { MemoryBroker } from '../../src/broker/broker-memory.js';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { TestClient } from '../helpers/test-client.js';

const CH = 'token.ETH.price';

test('messages published in one event-loop turn reach each subscriber as one frame with identical bytes', async () => {
  const h = await startTestGateway();
  const broker = h.broker as MemoryBroker;
  try {
    const clients = await Promise.all([0, 1, 2].map(() => TestClient.connect(h.url)));
    for (const c of clients) await c.subscribe([CH]);
    const raws: string[][] = clients.map(() => []);
    clients.forEach((c, k) => c.ws.on('message', (d) => raws[k]!.push(d.toString())));
    for (let i = 0; i < 20; i++) broker.publishNow(CH, { type: 'price:update', i });
    for (const c of clients) await c.waitFor(() => c.dataOn(CH).length === 20);
    for (const r of raws) {
      assert.equal(r.length, 1, 'one frame for the whole burst');
      assert.equal(r[0]!.split('\n').length, 20);
    }
    assert.equal(raws[0]![0], raws[1]![0]);
    assert.equal(raws[1]![0], raws[2]![0]);
    const text = await fetchMetrics(h.httpUrl);
    assert.equal(metricValue(text, 'ws_messages_sent_total'), 60);
    assert.equal(metricValue(text, 'ws_frames_sent_total'), 3);
    for (const c of clients) c.close();
  } finally {
    await h.stop();
  }
});

test('a wildcard subscriber gets one seq-ordered batch per turn across channels, so any prefix is safe to resume from', async () => {
  const h = await startTestGateway();
  const broker = h.broker as MemoryBroker;
  try {
    const c = await TestClient.connect(h.url);
    await c.subscribe(['token.*.price']);
    const raws: string[] = [];
    c.ws.on('message', (d) => raws.push(d.toString()));
    for (let i = 0; i < 30; i++) broker.publishNow(['token.A.price', 'token.B.price', 'token.C.price'][i % 3]!, { i });
    await c.waitFor(() => c.data.length === 30);
    assert.equal(raws.length, 1);
    const seqs = c.data.map((m) => m.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'in broker order across channels');
    c.close();
  } finally {
    await h.stop();
  }
});

test('a subscription that can match the same channels as another is refused with OVERLAPPING_SUBSCRIPTION; replacing the same one is not', async () => {
  const h = await startTestGateway();
  const broker = h.broker as MemoryBroker;
  try {
    const c = await TestClient.connect(h.url);
    await c.subscribe(['token.BTC.price']);
    const refused = await c.subscribe([{ channel: 'token.*.price', latest: true }], 'overlap');
    assert.equal(refused.length, 0);
    const error = c.ofType('error').find((e) => e.id === 'overlap');
    assert.equal(error?.code, 'OVERLAPPING_SUBSCRIPTION');
    assert.equal(error?.channel, 'token.*.price');
    // The same pattern again is a replacement, not an overlap.
    const [again] = await c.subscribe(['token.BTC.price'], 'same');
    assert.equal(again!.channel, 'token.BTC.price');
    // A disjoint pattern is fine.
    const [eth] = await c.subscribe(['token.ETH.*'], 'eth');
    assert.equal(eth!.channel, 'token.ETH.*');
    for (let i = 1; i <= 5; i++) broker.publishNow(i % 2 ? 'token.BTC.price' : 'token.ETH.price', { i });
    // Positive marker instead of a count: end markers on both channels, published last, arrive after
    // any copy of the earlier messages; once both are in, a duplicate would have arrived too.
    broker.publishNow('token.BTC.price', { i: 'end-BTC' });
    broker.publishNow('token.ETH.price', { i: 'end-ETH' });
    const seen = (i: string): boolean => c.data.some((m) => (m.data as { i: unknown }).i === i);
    await c.waitFor(() => seen('end-BTC') && seen('end-ETH'), 10_000, 'the end markers');
    assert.deepEqual(c.data.map((m) => String((m.data as { i: unknown }).i)).sort(), ['1', '2', '3', '4', '5', 'end-BTC', 'end-ETH']);
    assert.deepEqual(c.gaps, []);
    c.close();
  } finally {
    await h.stop();
  }
});

test('a stalled client is closed with 4000 once its queue passes the byte bound, and the others get everything', async () => {
  const maxQueueBytes = 64 * 1024;
  const h = await startTestGateway({ maxQueueBytes });
  const broker = h.broker as MemoryBroker;
  try {
    const healthy = await TestClient.connect(h.url);
    await healthy.subscribe([CH]);
    const stalled = await TestClient.connect(h.url);
    await stalled.subscribe([CH]);
    // Stop reading: the kernel buffers fill, then the server-side queue grows.
    (stalled.ws as unknown as { _socket: Socket })._socket.pause();

    const payload = { type: 'price:update', pad: 'x'.repeat(1000) };
    const total = 20_000; // ~20 MB: far beyond socket buffers + the 64 KiB bound
    let sent = 0;
    await new Promise<void>((resolve) => {
      const burst = (): void => {
        for (let i = 0; i < 200 && sent < total; i++, sent++) broker.publishNow(CH, { ...payload, i: sent });
        if (sent < total) setImmediate(burst);
        else resolve();
      };
      burst();
    });
    // ~20 MB through one in-process client: a cap for a busy machine, not a speed check; a close ends the wait at once.
    await healthy.waitFor(() => healthy.dataOn(CH).length === total || healthy.closeCode !== undefined, 120_000, 'all messages at the healthy client');
    assert.equal(healthy.closeCode, undefined, `the healthy client was closed (${healthy.closeCode}) after ${healthy.dataOn(CH).length} of ${total}`);
    assert.equal(healthy.dataOn(CH).length, total);
    assert.deepEqual(healthy.gaps, []);
    assert.equal(healthy.closeCode, undefined);

    const conns = [...h.gateway.connections];
    assert.equal(conns.filter((c) => c.isOpen).length, 1, 'only the healthy connection is still open');
    // Bounded in bytes: the limit plus at most one batch frame (~64 KiB).
    for (const c of conns) assert.ok(c.queuedBytes <= maxQueueBytes + 70 * 1024, `queued ${c.queuedBytes} bytes`);
    const text = await fetchMetrics(h.httpUrl);
    assert.equal(metricValue(text, 'ws_slow_clients_disconnected_total'), 1);

    (stalled.ws as unknown as { _socket: Socket })._socket.resume();
    const code = await stalled.waitClosed(20_000);
    assert.ok(code === 4000 || code === 1006, `slow-client close (4000) or dropped, got ${code}`);
    // Everything the stalled client did get is contiguous: nothing was skipped silently.
    assert.deepEqual(stalled.gaps, []);
    healthy.close();
  } finally {
    await h.stop();
  }
});

test('everything a connection gets in one flush leaves in at most two socket writes (per-connection coalescing), each subscription in seq order', async () => {
  const h = await startTestGateway();
  const broker = h.broker as MemoryBroker;
  try {
    const channels = Array.from({ length: 10 }, (_, i) => `token.C${i}.price`);
    const c = await TestClient.connect(h.url);
    await c.subscribe([...channels, 'market.*']);
    const conn = [...h.gateway.connections][0]!;
    // The writer holds the socket privately; the test reaches in to count the writes that reach it.
    const socket = (conn.writer as unknown as { socket: Socket }).socket as Socket & { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
    let writes = 0;
    const write = socket._write.bind(socket);
    const writev = socket._writev.bind(socket);
    socket._write = (...a: unknown[]) => {
      writes++;
      write(...a);
    };
    socket._writev = (...a: unknown[]) => {
      writes++;
      writev(...a);
    };
    for (const ch of channels) broker.publishNow(ch, { type: 'price:update', ch });
    broker.publishNow('market.statistics', { type: 'market:statistics' });
    await c.waitFor(() => c.data.length === 11, 5000, '11 messages');
    assert.equal(c.frames, 1 + 11 + 11, 'welcome, 11 subscribed answers, one frame per channel batch');
    assert.ok(writes <= 2, `${writes} socket writes for 11 frames`);
    assert.deepEqual(c.gaps, []);
    c.close();
  } finally {
    await h.stop();
  }
});
