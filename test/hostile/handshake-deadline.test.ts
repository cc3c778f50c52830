// Finding 4: sockets that never upgrade. Silent sockets and a slow drip of
// headers are closed at the handshake deadline, sockets past the cap of
// pending handshakes at once; both counted by reason, and a bystander on a
// live channel notices nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { allClosed, Bystander, publishContinuously, rawSocket } from './bystander.js';

test('silent and slow-handshake sockets are closed at the deadline or at the cap, counted, and a bystander keeps receiving', async () => {
  const h = await startTestGateway({ handshakeTimeoutMs: 1000, maxPendingHandshakes: 20 });
  const publisher = publishContinuously(h.broker);
  const bystander = await Bystander.join(h.url);
  try {
    // 50 sockets that send nothing: 20 wait for the deadline, the rest are over the cap.
    const silent: Array<Awaited<ReturnType<typeof rawSocket>>> = [];
    for (let i = 0; i < 50; i++) silent.push(await rawSocket(h.port));
    await allClosed(silent, 15_000, 'silent sockets');
    let text = await fetchMetrics(h.httpUrl);
    const cap = metricValue(text, 'ws_connections_failed_total', { reason: 'handshake_cap' });
    const timedOut = metricValue(text, 'ws_connections_failed_total', { reason: 'handshake_timeout' });
    console.log(`# 50 silent sockets: ${cap} closed at the cap, ${timedOut} at the deadline`);
    assert.ok(cap >= 1, 'the cap of 20 pending handshakes closed none of 50 sockets');
    assert.ok(timedOut >= 20, `only ${timedOut} sockets closed at the deadline`);
    assert.equal(cap + timedOut, 50);

    // A slow-loris upgrade: a header line now and then, never the end of the headers.
    const slow: Array<Awaited<ReturnType<typeof rawSocket>>> = [];
    for (let i = 0; i < 5; i++) {
      const s = await rawSocket(h.port);
      s.write('GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      slow.push(s);
    }
    const drip = setInterval(() => {
      for (const s of slow) if (!s.destroyed) s.write(`X-Drip-${Date.now()}: 1\r\n`);
    }, 200);
    try {
      await allClosed(slow, 15_000, 'slow-handshake sockets');
    } finally {
      clearInterval(drip);
    }
    text = await fetchMetrics(h.httpUrl);
    assert.equal(metricValue(text, 'ws_connections_failed_total', { reason: 'handshake_timeout' }), timedOut + 5);
    assert.equal(metricValue(text, 'ws_handshakes_pending'), 0);

    await bystander.keepsReceiving(20);
    bystander.assertUnharmed('silent and slow-handshake sockets');
  } finally {
    publisher.stop();
    bystander.close();
    await h.stop();
  }
});

test('a socket that finishes its request in time is not touched by the deadline', async () => {
  const h = await startTestGateway({ handshakeTimeoutMs: 300 });
  try {
    // A kept-alive HTTP connection: its first request settled it; Node's keep-alive timer owns it now.
    const agentless = await fetch(`${h.httpUrl}/livez`);
    assert.equal(agentless.status, 200);
    const publisher = publishContinuously(h.broker);
    const bystander = await Bystander.join(h.url);
    try {
      await bystander.keepsReceiving(30); // ~600 ms: twice the deadline
      bystander.assertUnharmed('(no attack) a deadline of 300 ms');
      const text = await fetchMetrics(h.httpUrl);
      assert.equal(metricValue(text, 'ws_connections_failed_total', { reason: 'handshake_timeout' }), 0);
    } finally {
      publisher.stop();
      bystander.close();
    }
  } finally {
    await h.stop();
  }
});
