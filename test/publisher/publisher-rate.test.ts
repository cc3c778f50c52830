// Rates are honoured and measured: the pacer turns a rate into exact counts
// over (simulated) time, configure re-times a running publisher at once,
// duration stops publishing, statistics and trades are published. No
// assertion depends on how fast this machine is: pacing and measuring are
// checked with explicit timestamps, the running publisher with positive markers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateMeter } from '../../src/publisher/rate-meter.js';
import { RatePacer } from '../../src/publisher/rate-pacer.js';
import { control, getJson, startTestPublisher, waitUntil } from './publisher-fixtures.js';

/** Messages the pacer releases from `from` to `to` ms in 20 ms slots (the service's timer period). */
function paced(pacer: RatePacer, from: number, to: number): number {
  let n = 0;
  for (let t = from + 20; t <= to; t += 20) n += pacer.due(t);
  return n;
}

describe('publisher rates', () => {
  it('the pacer releases exactly the requested rate, and a re-time applies from that moment', () => {
    const pacer = new RatePacer(1);
    pacer.reset(0);
    assert.equal(paced(pacer, 0, 1000), 2, 'the first at once, then one per second');
    pacer.retime(2000, 1000);
    assert.equal(paced(pacer, 1000, 1500), 1000, 'half a second at 2000 msg/s');
    pacer.retime(1, 1500);
    assert.equal(paced(pacer, 1500, 2000), 0, 'what was due at 2000 msg/s is dropped');
    pacer.retime(2000, 0);
    assert.equal(paced(pacer, 0, 10_000), 20_000, '10 s at 2000 msg/s, no drift');
    pacer.retime(33, 0);
    assert.equal(paced(pacer, 0, 3000), 99, 'a rate that is no multiple of the slot');
  });

  it('the meter reports what was achieved over its window, not what was asked', () => {
    const meter = new RateMeter(5000);
    assert.equal(meter.rate(), 0);
    meter.sample(0, 0);
    meter.sample(1500, 1000);
    assert.equal(meter.rate(), 1500);
    for (let s = 2; s <= 10; s++) meter.sample(1500 + (s - 1) * 1000, s * 1000);
    assert.equal(meter.rate(), 1000, 'the last 5 s ran at 1000 msg/s');
  });

  it('configure re-times a running publisher at once and /stats follows', async () => {
    const h = await startTestPublisher();
    try {
      await control(h.baseUrl, { action: 'start', messagesPerSecond: 1 });
      const r = await control(h.baseUrl, { action: 'configure', messagesPerSecond: 2000 });
      assert.equal(r.status, 200);
      assert.match(String(r.body.message), /new rate now/);
      const before = h.count('token.');
      await waitUntil('300 ticks at 2000 msg/s', () => h.count('token.') >= before + 300);
      const stats = (await getJson(`${h.baseUrl}/stats`)).body.stats as { targetRate: number; errors: number; messagesPublished: number };
      assert.equal(stats.targetRate, 2000);
      assert.equal(stats.errors, 0);
      assert.ok(stats.messagesPublished >= before + 300);
      await waitUntil('a measured rate', async () => ((await getJson(`${h.baseUrl}/stats`)).body.stats as { actualRate: number }).actualRate > 0);
      await control(h.baseUrl, { action: 'configure', messagesPerSecond: 1 });
      assert.equal(((await getJson(`${h.baseUrl}/stats`)).body.stats as { targetRate: number }).targetRate, 1);
    } finally {
      await h.stop();
    }
  });

  it('stops after `duration` milliseconds, having published no more than the duration allows', async () => {
    const h = await startTestPublisher();
    try {
      await control(h.baseUrl, { action: 'start', messagesPerSecond: 100, duration: 300 });
      await waitUntil('publishing stopped', async () => (await getJson(`${h.baseUrl}/stats`)).body.isPublishing === false);
      const n = h.count('token.');
      // The first at once, then 100/s for less than 0.3 s: the pacer cannot release a 32nd, however late its timer.
      assert.ok(n >= 1 && n <= 31, `${n} messages in 0.3 s at 100 msg/s`);
    } finally {
      await h.stop();
    }
  });

  it('publishes market statistics on its period and user trades on trades.user.<id>', async () => {
    const h = await startTestPublisher({ statisticsIntervalMs: 100, tradeEventsPerSecond: 50 });
    try {
      await control(h.baseUrl, { action: 'start' });
      await waitUntil('3 statistics and 10 trades', () => h.count('market.statistics') >= 3 && h.count('trades.user.') >= 10);
      const stats = await h.broker.latest('market.statistics');
      const payload = JSON.parse(stats.messages[0]!.payload) as Record<string, unknown>;
      assert.equal(payload.type, 'market:statistics');
      assert.equal(payload.activeTokens, 5);
      assert.equal((payload.topTokens as unknown[]).length, 3);
      const trades = h.received.filter((c) => c.startsWith('trades.user.'));
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
