// Rates are honoured and measured: configure re-times a running publisher at
// once, 2000 msg/s comes out close to 2000 (generous bounds: a shared
// machine), duration stops publishing, statistics and trades are published.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { control, getJson, sleep, startTestPublisher } from './publisher-fixtures.js';

describe('publisher rates', () => {
  it('re-times a running publisher at once', async () => {
    const h = await startTestPublisher();
    try {
      await control(h.baseUrl, { action: 'start', messagesPerSecond: 1 });
      await sleep(200);
      const before = h.count('token.');
      assert.ok(before <= 2, `${before} at 1 msg/s`);
      const r = await control(h.baseUrl, { action: 'configure', messagesPerSecond: 2000 });
      assert.equal(r.status, 200);
      assert.match(String(r.body.message), /new rate now/);
      await sleep(500);
      const fast = h.count('token.') - before;
      assert.ok(fast >= 300, `${fast} messages in 0.5 s after configure to 2000 msg/s`);
      await control(h.baseUrl, { action: 'configure', messagesPerSecond: 1 });
      const slowStart = h.count('token.');
      await sleep(500);
      assert.ok(h.count('token.') - slowStart <= 2, 'back to 1 msg/s at once');
    } finally {
      await h.stop();
    }
  });

  it('publishes close to the requested 2000 msg/s and reports the measured rate', async () => {
    const h = await startTestPublisher();
    try {
      await control(h.baseUrl, { action: 'start', messagesPerSecond: 2000 });
      await sleep(500);
      const from = h.count('token.');
      const t0 = performance.now();
      await sleep(2000);
      const count = h.count('token.') - from;
      const rate = (count * 1000) / (performance.now() - t0);
      assert.ok(rate > 1200 && rate < 2800, `measured ${rate.toFixed(0)} msg/s by counting`);
      const stats = (await getJson(`${h.baseUrl}/stats`)).body.stats as { actualRate: number; targetRate: number; errors: number; messagesPublished: number };
      assert.ok(stats.actualRate > 1000 && stats.actualRate < 3000, `reported actualRate ${stats.actualRate}`);
      assert.equal(stats.targetRate, 2000);
      assert.equal(stats.errors, 0);
      assert.ok(stats.messagesPublished >= count);
    } finally {
      await h.stop();
    }
  });

  it('stops after `duration` milliseconds', async () => {
    const h = await startTestPublisher();
    try {
      await control(h.baseUrl, { action: 'start', messagesPerSecond: 100, duration: 300 });
      await sleep(700);
      const stats = (await getJson(`${h.baseUrl}/stats`)).body;
      assert.equal(stats.isPublishing, false);
      const n = h.count('token.');
      assert.ok(n > 5 && n < 70, `${n} messages in 0.3 s at 100 msg/s`);
    } finally {
      await h.stop();
    }
  });

  it('publishes market statistics on its period and user trades on trades.user.<id>', async () => {
    const h = await startTestPublisher({ statisticsIntervalMs: 100, tradeEventsPerSecond: 50 });
    try {
      await control(h.baseUrl, { action: 'start' });
      await sleep(600);
      assert.ok(h.count('market.statistics') >= 3, `${h.count('market.statistics')} statistics`);
      const stats = await h.broker.latest('market.statistics');
      const payload = JSON.parse(stats.messages[0]!.payload) as Record<string, unknown>;
      assert.equal(payload.type, 'market:statistics');
      assert.equal(payload.activeTokens, 5);
      assert.equal((payload.topTokens as unknown[]).length, 3);
      const trades = h.received.filter((c) => c.startsWith('trades.user.'));
      assert.ok(trades.length >= 10, `${trades.length} trades`);
      assert.ok(trades.every((c) => /^trades\.user\.(alice|bob|carol)$/.test(c)));
      const trade = JSON.parse((await h.broker.latest('trades.user.*')).messages.at(-1)!.payload) as Record<string, unknown>;
      assert.equal(trade.type, 'trade:executed');
      assert.ok(trade.side === 'buy' || trade.side === 'sell');
      assert.ok(typeof trade.price === 'number' && typeof trade.quantity === 'number');
    } finally {
      await h.stop();
    }
  });
});
