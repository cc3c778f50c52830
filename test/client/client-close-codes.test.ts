// The SDK honours the close codes of docs/protocol.md against real sockets: a
// server that keeps closing with one code sees the reconnect pace the code asks
// for, and a dead-but-open connection is found by the heartbeat.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import { UnauthorizedError, type CloseInfo } from '@odin-gateway/client';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { newClient, sleep, waitUntil } from './client-fixtures.js';

const WELCOME = JSON.stringify({ type: 'welcome', v: 1, session: 's', user: null, ping_interval_ms: 25000, max_frame_bytes: 16384 });

/** A WebSocket server that does `onConnection` to every client and counts them. */
async function scriptedServer(onConnection: (ws: WebSocket) => void): Promise<{ url: string; connections: () => number; close(): Promise<void> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  let count = 0;
  wss.on('connection', (ws) => {
    count++;
    onConnection(ws);
  });
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws`,
    connections: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  };
}

async function closesWith(code: number, options: Parameters<typeof newClient>[1] = {}, watchMs = 1000): Promise<{ connections: number; closes: CloseInfo[]; state: string }> {
  const server = await scriptedServer((ws) => {
    ws.send(WELCOME);
    ws.close(code, 'test');
  });
  const client = newClient(server.url, options);
  const closes: CloseInfo[] = [];
  client.on('close', (c) => closes.push(c));
  client.on('error', () => undefined);
  client.connect().catch(() => undefined);
  await sleep(watchMs);
  const state = client.state;
  client.close();
  const connections = server.connections();
  await server.close();
  return { connections, closes, state };
}

describe('OdinClient close codes', () => {
  it('waits long before reconnecting after 1008 POLICY_VIOLATION', async () => {
    const r = await closesWith(1008, { reconnect: { baseMs: 50, policyDelayMs: 60_000 } });
    assert.equal(r.connections, 1, 'no second attempt within a second');
    assert.equal(r.closes[0]!.code, 1008);
    assert.ok(r.closes[0]!.willReconnect && r.closes[0]!.delayMs >= 45_000, `delay ${r.closes[0]!.delayMs} ms`);
    assert.equal(r.state, 'reconnecting');
  });

  it('waits long after 1009 MESSAGE_TOO_BIG too', async () => {
    const r = await closesWith(1009, { reconnect: { baseMs: 50, policyDelayMs: 60_000 } }, 500);
    assert.equal(r.connections, 1);
    assert.ok(r.closes[0]!.delayMs >= 45_000);
  });

  it('backs off with a floor after 1013 TRY_AGAIN_LATER, instead of hammering', async () => {
    const r = await closesWith(1013, { reconnect: { baseMs: 20, maxMs: 5000, capacityMinDelayMs: 300 } });
    assert.ok(r.closes.every((c) => c.code === 1013 && c.delayMs >= 300), JSON.stringify(r.closes));
    assert.ok(r.connections >= 2 && r.connections <= 4, `${r.connections} connections in a second`);
  });

  it('reconnects at once after 4000 SLOW_CLIENT, then backs off if it keeps happening', async () => {
    const r = await closesWith(4000, { reconnect: { baseMs: 200, maxMs: 5000 } }, 700);
    assert.ok(r.closes[0]!.delayMs <= 100, `first delay ${r.closes[0]!.delayMs}`);
    // A connection that did not last does not reset the backoff: the next delays grow.
    const delays = r.closes.slice(1).map((c) => c.delayMs);
    assert.ok(delays.length >= 1 && delays.every((d) => d >= 150), JSON.stringify(delays));
  });

  it('stops after 4003 UNAUTHORIZED from the real gateway when no token function is given', async () => {
    const gw = await startTestGateway({ jwtSecret: 'test-secret-for-4003-test-secret-for-4003' });
    const client = newClient(gw.url, { token: 'not-a-jwt' });
    const errors: Error[] = [];
    client.on('error', (e) => errors.push(e));
    try {
      await assert.rejects(client.connect(), (err: unknown) => err instanceof UnauthorizedError && err.reason === 'TOKEN_MALFORMED' && /^TOKEN_MALFORMED: /.test(err.message));
      await sleep(300);
      assert.equal(client.state, 'closed');
      const refused = await gw.gateway.metrics.connectionsFailed.get();
      const unauthorized = refused.values.find((v) => v.labels.reason === 'unauthorized')?.value;
      assert.equal(unauthorized, 1, 'exactly one attempt');
      assert.ok(errors.some((e) => e instanceof UnauthorizedError));
    } finally {
      client.close();
      await gw.stop();
    }
  });

  it('fetches a new token and retries after 4003 when given a token function', async () => {
    const tokens: string[] = [];
    const r = await closesWith(4003, { token: () => (tokens.push(`t${tokens.length}`), tokens.at(-1)!), reconnect: { baseMs: 50 } }, 1500);
    assert.ok(r.connections >= 2, 'retried');
    assert.ok(r.closes.every((c) => c.delayMs >= 1000), 'not before a second');
    assert.ok(tokens.length >= 2, 'a fresh token per attempt');
  });

  it('declares a silent connection dead by its heartbeat and reconnects', async () => {
    // Answers nothing after the welcome: to the client, a connection the network lost.
    const server = await scriptedServer((ws) => ws.send(WELCOME));
    const client = newClient(server.url, { heartbeat: { intervalMs: 100, timeoutMs: 200 } });
    const closes: CloseInfo[] = [];
    client.on('close', (c) => closes.push(c));
    try {
      await client.connect();
      await waitUntil(() => server.connections() >= 2, 3000, 'a reconnect');
      assert.equal(closes[0]!.code, 4001);
      assert.match(closes[0]!.reason, /heartbeat/);
    } finally {
      client.close();
      await server.close();
    }
  });

  it('keeps a quiet but healthy connection: the gateway answers the heartbeat', async () => {
    const gw = await startTestGateway();
    const client = newClient(gw.url, { heartbeat: { intervalMs: 100, timeoutMs: 300 } });
    try {
      await client.connect();
      // Positive marker: the gateway has received six heartbeat pings. The SDK sends a ping only after a frame
      // arrived since the last one, so each of them proves the previous answer came back before the 300 ms timeout.
      const pingsReceived = async (): Promise<number> => (await gw.gateway.metrics.messagesReceived.get()).values[0]?.value ?? 0;
      let received = 0;
      for (let i = 0; i < 1000 && received < 6; i++) {
        await sleep(20);
        received = await pingsReceived();
      }
      assert.ok(received >= 6, `${received} heartbeats reached the gateway`);
      assert.equal(client.state, 'open');
      assert.equal(client.stats.reconnects, 0);
      const opened = (await gw.gateway.metrics.connectionsTotal.get()).values.reduce((sum, v) => sum + v.value, 0);
      assert.equal(opened, 1, 'one connection: never declared dead');
      assert.ok((await client.ping()) >= 0);
    } finally {
      client.close();
      await gw.stop();
    }
  });
});
