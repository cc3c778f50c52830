// Identity through the SDK: a JWT (here from a token function) opens the
// user's private trade channel, fed by the publisher's simulated trades;
// another user's channel is refused and the subscription's `ready` rejects.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { Registry } from 'prom-client';
import { ServerError, type TradeEvent } from '@odin-gateway/client';
import { createLogger } from '../../src/observability/logger.js';
import { PublisherService } from '../../src/publisher/publisher-service.js';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { newClient, waitUntil } from './client-fixtures.js';

const SECRET = 'client-auth-test-secret-of-32-bytes-or-more';

async function jwtFor(user: string): Promise<string> {
  return new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(user).setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));
}

describe('OdinClient with a JWT', () => {
  it("reads its own user's trades and is refused another user's", async () => {
    const gw = await startTestGateway({ jwtSecret: SECRET });
    const publisher = new PublisherService(
      { broker: gw.broker, logger: createLogger('silent'), registry: new Registry(), instanceId: 'auth-test' },
      { messagesPerSecond: 1, tokens: ['BTC', 'ETH'], duration: 0, statisticsIntervalMs: 60_000, tradeEventsPerSecond: 100, users: ['alice', 'bob'], maxInFlight: 100 },
    );
    let tokenCalls = 0;
    const client = newClient(gw.url, { token: () => (tokenCalls++, jwtFor('alice')) });
    const errors: unknown[] = [];
    client.on('error', (e) => errors.push(e));
    const trades: TradeEvent[] = [];
    try {
      await client.connect();
      assert.equal(client.user, 'alice');
      assert.equal(tokenCalls, 1);
      const mine = client.subscribe('trades.user.alice', (trade) => trades.push(trade));
      const theirs = client.subscribe('trades.user.bob', () => assert.fail('must not receive bob’s trades'));
      await mine.ready;
      await assert.rejects(theirs.ready, (err: unknown) => err instanceof ServerError && err.code === 'FORBIDDEN');
      publisher.start();
      await waitUntil(() => trades.length >= 5, 5000, 'trades for alice');
      assert.ok(trades.every((t) => t.type === 'trade:executed' && t.userId === 'alice'));
      assert.ok(errors.some((e) => e instanceof ServerError && e.code === 'FORBIDDEN'));

      // A reconnect fetches a fresh token.
      client.reconnect();
      await waitUntil(() => client.state === 'open' && client.stats.reconnects === 1, 5000, 'reconnect');
      assert.equal(tokenCalls, 2);
    } finally {
      client.close();
      publisher.stop();
      await gw.stop();
    }
  });
});
