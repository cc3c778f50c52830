// The SDK's opt-in SSE fallback and its `conflate` option (docs/client.md),
// against a real gateway. The fallback goes through a strict proxy that
// refuses every WebSocket upgrade (403) and passes plain GETs on: the client
// moves to SSE by itself, and when its streams are cut while messages are
// published it resumes from its positions (Last-Event-ID) with 0 gaps, every
// message once, in order.
import assert from 'node:assert/strict';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import type { MemoryBroker } from '../../src/broker/broker-memory.js';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { newClient, PublishLog, Recorder, waitUntil } from './client-fixtures.js';

const CHANNELS = ['token.AAA.price', 'token.BBB.price'];

/** A proxy that refuses WebSocket upgrades and forwards everything else to `port`; it can cut the streams it carries. */
async function strictProxy(port: number): Promise<{ url: string; requests: IncomingHttpHeaders[]; upgradesRefused: () => number; cutStreams(): number; close(): Promise<void> }> {
  const requests: IncomingHttpHeaders[] = [];
  const carried = new Set<Socket>();
  let refused = 0;
  const server: Server = createServer((req, res) => {
    requests.push(req.headers);
    carried.add(req.socket);
    req.socket.once('close', () => carried.delete(req.socket));
    const upstream = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('upgrade', (_req, socket: Socket) => {
    refused++;
    socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${address.port}/ws`,
    requests,
    upgradesRefused: () => refused,
    cutStreams() {
      const n = carried.size;
      for (const s of carried) s.destroy();
      return n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of carried) s.destroy();
        server.close(() => resolve());
      }),
  };
}

test('SDK transports [websocket, sse]: a proxy refusing WebSocket -> SSE; streams cut three times while publishing resume with 0 gaps, every message once, in order', { timeout: 60_000 }, async () => {
  const h = await startTestGateway({ pingIntervalMs: 500 });
  const proxy = await strictProxy(h.port);
  const log = new PublishLog(h.broker as MemoryBroker);
  const client = newClient(proxy.url, { transports: ['websocket', 'sse'] });
  const rec = new Recorder(client);
  const moved: string[] = [];
  client.on('transport', (t) => moved.push(t));
  try {
    const subs = CHANNELS.map((c) => client.subscribe(c, rec.handler, { latest: false }));
    await client.connect();
    await Promise.all(subs.map((s) => s.ready));
    assert.deepEqual(moved, ['sse']);
    assert.equal(client.transport, 'sse');
    assert.ok(proxy.upgradesRefused() >= 1, 'the WebSocket was tried first');
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 10; i++) for (const c of CHANNELS) log.publish(c);
      await waitUntil(() => CHANNELS.every((c) => rec.seqs(c).at(-1) === log.last(c)), 10_000, `round ${round}: live messages`);
      const reconnectsBefore = client.stats.reconnects;
      assert.ok(proxy.cutStreams() >= 1, 'a stream to cut');
      // Published while the stream is down: the resume must bring them.
      for (let i = 0; i < 7; i++) for (const c of CHANNELS) log.publish(c);
      await waitUntil(() => client.stats.reconnects > reconnectsBefore && CHANNELS.every((c) => rec.seqs(c).at(-1) === log.last(c)), 15_000, `round ${round}: resumed`);
    }
    for (const c of CHANNELS) assert.deepEqual(rec.seqs(c), log.of(c), `${c}: every message once, in order`);
    assert.equal(client.stats.gaps, 0);
    assert.deepEqual(rec.gaps, []);
    assert.deepEqual(rec.resyncs, []);
    assert.ok(client.stats.recovered >= 3 * 7 * CHANNELS.length, `replayed by resumes: ${client.stats.recovered}`);
    // The resumes were SSE requests carrying a cursor built from the client's positions.
    const streams = proxy.requests.filter((r) => r.accept === 'text/event-stream');
    assert.ok(streams.length >= 4, `streams opened: ${streams.length}`);
    assert.equal(streams[0]!['last-event-id'], undefined);
    for (const r of streams.slice(1)) assert.match(String(r['last-event-id']), /^[0-9a-z]+-[0-9a-z]+@\S+$/);
    assert.equal(client.transport, 'sse');
  } finally {
    client.close();
    await proxy.close();
    await h.stop();
  }
});

test('SDK over SSE: a new subscription reopens the stream with every channel, the others resuming from their positions', { timeout: 30_000 }, async () => {
  const h = await startTestGateway({ pingIntervalMs: 500 });
  const log = new PublishLog(h.broker as MemoryBroker);
  // No WebSocket at all in this "runtime": SSE from the start.
  const client = newClient(h.url, { transports: ['sse'] });
  const rec = new Recorder(client);
  try {
    const first = client.subscribe(CHANNELS[0]!, rec.handler, { latest: false });
    await client.connect();
    await first.ready;
    for (let i = 0; i < 5; i++) log.publish(CHANNELS[0]!);
    await waitUntil(() => rec.seqs(CHANNELS[0]!).length === 5, 10_000, 'first channel');
    const second = client.subscribe(CHANNELS[1]!, rec.handler, { latest: false });
    for (let i = 0; i < 5; i++) log.publish(CHANNELS[0]!);
    await second.ready;
    for (let i = 0; i < 5; i++) for (const c of CHANNELS) log.publish(c);
    await waitUntil(() => CHANNELS.every((c) => rec.seqs(c).at(-1) === log.last(c)), 10_000, 'both channels');
    assert.deepEqual(rec.seqs(CHANNELS[0]!), log.of(CHANNELS[0]!), 'the first channel lost nothing across the reopen');
    assert.deepEqual(rec.seqs(CHANNELS[1]!), log.of(CHANNELS[1]!).slice(-5));
    assert.equal(client.stats.gaps, 0);
    assert.equal(client.transport, 'sse');
  } finally {
    client.close();
    await h.stop();
  }
});

for (const transport of ['websocket', 'sse'] as const) {
  test(`SDK conflate option over ${transport}: delivered + skipped = published per channel, declared skips are not gaps`, { timeout: 30_000 }, async () => {
    const h = await startTestGateway({ pingIntervalMs: 500 });
    const log = new PublishLog(h.broker as MemoryBroker);
    const client = newClient(h.url, { transports: [transport] });
    const rec = new Recorder(client);
    let skipped = 0;
    const perChannelSkipped = new Map<string, number>();
    try {
      const subs = CHANNELS.map((c) =>
        client.subscribe(
          c,
          (d, m) => {
            rec.handler(d, m);
            skipped += m.skipped ?? 0;
            perChannelSkipped.set(c, (perChannelSkipped.get(c) ?? 0) + (m.skipped ?? 0));
          },
          { latest: false, conflate: 100 },
        ),
      );
      await client.connect();
      await Promise.all(subs.map((sub) => sub.ready));
      // Bursts much faster than the interval, then a last message per channel as the marker.
      for (let burst = 0; burst < 5; burst++) {
        for (let i = 0; i < 20; i++) for (const c of CHANNELS) log.publish(c);
        await waitUntil(() => CHANNELS.every((c) => rec.seqs(c).at(-1) === log.last(c)), 10_000, `burst ${burst} conflated`);
      }
      for (const c of CHANNELS) {
        const delivered = rec.seqs(c).length;
        assert.equal(delivered + perChannelSkipped.get(c)!, log.of(c).length, `${c}: delivered ${delivered} + skipped ${perChannelSkipped.get(c)} = published`);
        assert.ok(delivered < log.of(c).length, `${c}: conflated (${delivered} of ${log.of(c).length})`);
      }
      assert.equal(client.stats.skipped, skipped);
      assert.equal(client.stats.gaps, 0);
      assert.deepEqual(rec.gaps, []);
    } finally {
      client.close();
      await h.stop();
    }
  });
}
