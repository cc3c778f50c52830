// Per-user channels are readable only by their user, identified by a JWT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import type { MemoryBroker } from '../../src/broker/broker-memory.js';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { TestClient } from '../helpers/test-client.js';

const SECRET = 'test-secret-with-enough-entropy-0123456789';

async function tokenFor(sub: string, secret = SECRET, expiresIn = '1h'): Promise<string> {
  return new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime(expiresIn).sign(new TextEncoder().encode(secret));
}

test('trades.user.<id> reaches only the connection whose token names <id>', async () => {
  const h = await startTestGateway({ jwtSecret: SECRET });
  const broker = h.broker as MemoryBroker;
  try {
    const alice = await TestClient.connect(`${h.url}?token=${await tokenFor('alice')}`);
    assert.equal(alice.ofType('welcome')[0]!.user, 'alice');
    const bob = await TestClient.connect(h.url, { headers: { authorization: `Bearer ${await tokenFor('bob')}` } });
    const anon = await TestClient.connect(h.url);
    const [ok] = await alice.subscribe(['trades.user.alice']);
    assert.equal(ok!.channel, 'trades.user.alice');
    await bob.subscribe(['trades.user.alice']);
    await anon.subscribe(['trades.user.alice']);
    assert.equal(bob.ofType('error')[0]!.code, 'FORBIDDEN');
    assert.equal(anon.ofType('error')[0]!.code, 'FORBIDDEN');
    await bob.subscribe(['trades.*.*']);
    assert.equal(bob.ofType('error')[1]!.code, 'FORBIDDEN', 'a pattern that could match another user is refused');
    await bob.subscribe(['marker.private-test']);
    await anon.subscribe(['marker.private-test']);
    broker.publishNow('trades.user.alice', { type: 'trade:executed', qty: 1 });
    // Positive marker: a later message bob and anon may read. Had alice's reached them, it would have arrived first.
    broker.publishNow('marker.private-test', { type: 'marker' });
    await alice.waitFor(() => alice.data.length === 1);
    await bob.waitFor(() => bob.data.length >= 1, 10_000, 'the marker');
    await anon.waitFor(() => anon.data.length >= 1, 10_000, 'the marker');
    assert.deepEqual(bob.data.map((m) => m.channel), ['marker.private-test']);
    assert.deepEqual(anon.data.map((m) => m.channel), ['marker.private-test']);
    for (const c of [alice, bob, anon]) c.close();
  } finally {
    await h.stop();
  }
});

test('a bad or expired token closes the connection with 4003', async () => {
  const h = await startTestGateway({ jwtSecret: SECRET });
  try {
    const forged = await TestClient.connect(`${h.url}?token=${await tokenFor('alice', 'another-secret-another-secret-xx')}`).catch((e: Error) => e);
    // The welcome never comes: the socket opens and is closed with 4003 at once.
    assert.ok(forged instanceof Error);
    const { default: WebSocket } = await import('ws');
    const code = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${h.url}?token=${'x.y.z'}`);
      ws.on('close', (c) => resolve(c));
      ws.on('error', () => undefined);
    });
    assert.equal(code, 4003);
  } finally {
    await h.stop();
  }
});

test('with AUTH_REQUIRED an anonymous connection is closed with 4003', async () => {
  const h = await startTestGateway({ jwtSecret: SECRET, authRequired: true });
  try {
    const { default: WebSocket } = await import('ws');
    const code = await new Promise<number>((resolve) => {
      const ws = new WebSocket(h.url);
      ws.on('close', (c) => resolve(c));
      ws.on('error', () => undefined);
    });
    assert.equal(code, 4003);
    const ok = await TestClient.connect(`${h.url}?token=${await tokenFor('carol')}`);
    assert.equal(ok.ofType('welcome')[0]!.user, 'carol');
    ok.close();
  } finally {
    await h.stop();
  }
});
