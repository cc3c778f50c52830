// Grants: which channels a connection may read. Public channels are
// configurable (and can be none); a token's `channels` claim adds channels or
// patterns; nothing ever reaches another user's private channel. A refresh
// with fewer grants drops what is no longer allowed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { channelMatches, mayReadWith, patternCovers } from '@odin-gateway/client/channels';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { TestClient } from '../helpers/test-client.js';
import { hs256, identify, SECRET_A } from './identity-fixtures.js';

async function verdicts(client: TestClient, channels: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [i, channel] of channels.entries()) {
    const id = `v${i}-${Math.random()}`;
    await client.subscribe([channel], id);
    const answer = client.messages.find((m) => (m.type === 'subscribed' || m.type === 'error') && 'id' in m && m.id === id)!;
    out[channel] = answer.type === 'subscribed' ? 'ok' : (answer as { code: string }).code;
    // Overlapping subscriptions are refused: each verdict starts from none.
    if (answer.type === 'subscribed') {
      const before = client.ofType('unsubscribed').length;
      client.send({ type: 'unsubscribe', channels: [channel] });
      await client.waitFor(() => client.ofType('unsubscribed').length > before, 5000, 'unsubscribed');
    }
  }
  return out;
}

describe('grants', () => {
  it('with no public channels, a token reads only what its channels claim grants, plus its own private channel', async () => {
    const h = await startTestGateway({ jwtSecret: SECRET_A, publicChannels: ['none'] });
    try {
      const token = await hs256(SECRET_A, { sub: 'alice', claims: { channels: ['token.BTC.price', 'market.>', 'trades.user.bob', '>'] } });
      const alice = await TestClient.connect(`${h.url}?token=${token}`);
      assert.deepEqual(await verdicts(alice, ['token.BTC.price', 'market.statistics', 'trades.user.alice', 'trades.user.bob', 'trades.user.*', '>', 'token.ETH.price']), {
        'token.BTC.price': 'ok',
        'market.statistics': 'ok',
        'trades.user.alice': 'ok',
        // Claimed, yet another user's private channel: never.
        'trades.user.bob': 'FORBIDDEN',
        'trades.user.*': 'FORBIDDEN',
        '>': 'FORBIDDEN',
        // The claim's `>` grants every non-private channel.
        'token.ETH.price': 'ok',
      });
      const plain = await TestClient.connect(`${h.url}?token=${await hs256(SECRET_A, { sub: 'carol' })}`);
      assert.deepEqual(await verdicts(plain, ['token.BTC.price', 'trades.user.carol']), { 'token.BTC.price': 'FORBIDDEN', 'trades.user.carol': 'ok' });
      const anonymous = await TestClient.connect(h.url);
      assert.deepEqual(await verdicts(anonymous, ['token.BTC.price']), { 'token.BTC.price': 'FORBIDDEN' });
      for (const c of [alice, plain, anonymous]) c.close();
    } finally {
      await h.stop();
    }
  });

  it('public channels can be narrowed, and anonymous access turned off', async () => {
    const h = await startTestGateway({ jwtSecret: SECRET_A, publicChannels: ['token.*.price'] });
    try {
      const anonymous = await TestClient.connect(h.url);
      assert.deepEqual(await verdicts(anonymous, ['token.BTC.price', 'token.*.price', 'token.>', 'market.statistics']), {
        'token.BTC.price': 'ok',
        'token.*.price': 'ok',
        'token.>': 'FORBIDDEN',
        'market.statistics': 'FORBIDDEN',
      });
      anonymous.close();
    } finally {
      await h.stop();
    }
    const closed = await startTestGateway({ jwtSecret: SECRET_A, authRequired: true });
    try {
      assert.deepEqual(await identify(closed.url), { closed: 4003, reason: 'TOKEN_REQUIRED' });
    } finally {
      await closed.stop();
    }
  });

  it('refuses a token whose channels claim is not a list of channel names', async () => {
    const h = await startTestGateway({ jwtSecret: SECRET_A });
    try {
      for (const bad of ['token.>', [1], ['bad channel'], Array.from({ length: 101 }, (_, i) => `c${i}`)]) {
        assert.deepEqual(await identify(h.url, { token: await hs256(SECRET_A, { claims: { channels: bad } }) }), { closed: 4003, reason: 'TOKEN_INVALID_CLAIMS' }, JSON.stringify(bad).slice(0, 40));
      }
    } finally {
      await h.stop();
    }
  });

  it('a refresh with fewer grants unsubscribes what they no longer allow', async () => {
    const h = await startTestGateway({ jwtSecret: SECRET_A, publicChannels: ['none'] });
    try {
      const client = await TestClient.connect(`${h.url}?token=${await hs256(SECRET_A, { claims: { channels: ['token.BTC.price', 'market.statistics'] } })}`);
      await client.subscribe(['token.BTC.price', 'market.statistics']);
      assert.equal(client.ofType('subscribed').length, 2);
      client.send({ type: 'auth', id: 'less', token: await hs256(SECRET_A, { claims: { channels: ['market.statistics'] } }) });
      await client.waitFor(() => client.ofType('authenticated').length === 1, 5000, 'authenticated');
      assert.deepEqual(client.ofType('unsubscribed').at(-1)!.channels, ['token.BTC.price']);
      assert.equal(client.ofType('error').at(-1)!.channel, 'token.BTC.price');
      client.close();
    } finally {
      await h.stop();
    }
  });
});

describe('patternCovers', () => {
  const token = fc.constantFrom('a', 'b', 'c', '*');
  const pattern = fc.tuple(fc.array(token, { minLength: 1, maxLength: 4 }), fc.boolean()).map(([t, tail]) => (tail ? [...t, '>'] : t).join('.'));
  const concrete = fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 6 }).map((t) => t.join('.'));

  it('never says yes when some channel matches the inner pattern but not the outer one', () => {
    fc.assert(
      fc.property(pattern, pattern, concrete, (outer, inner, channel) => {
        if (patternCovers(outer, inner) && channelMatches(inner, channel)) return channelMatches(outer, channel);
        return true;
      }),
      { numRuns: 5000 },
    );
  });

  it('knows the usual cases', () => {
    assert.ok(patternCovers('>', 'token.BTC.price'));
    assert.ok(patternCovers('token.>', 'token.*.price'));
    assert.ok(patternCovers('token.*.price', 'token.BTC.price'));
    assert.ok(!patternCovers('token.*.price', 'token.>'));
    assert.ok(!patternCovers('token.BTC.price', 'token.*.price'));
    assert.ok(!patternCovers('token.>', 'token'));
    assert.ok(!mayReadWith('trades.user.bob', 'alice', ['>'], ['trades.user.bob']));
    assert.ok(mayReadWith('trades.user.alice', 'alice', [], []));
  });
});
