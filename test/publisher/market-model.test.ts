// The simulated market moves by time, not by tick: driven at 20 and at 2,000
// updates per second over the same simulated time, prices spread the same,
// as the configured daily volatility says. Caps and prices stay plausible.
// A fixed seed makes every figure here deterministic: these tests cannot flake.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DAY_MS, MarketModel, TOKEN_PROFILES } from '../../src/publisher/market-model.js';
import { seededRandom } from '../../src/bench/subscription-plan.js';

const TOKENS = ['BTC', 'ETH', 'ODIN', 'SOL', 'DOGE'];

/**
 * Publishes `rate` updates per second round-robin over the tokens (as the
 * publisher does) for `seconds` of simulated time, and returns every token's
 * log price move over each `windowSec`, divided by what the token's daily
 * volatility predicts for that window: a spread of 1 is "as configured".
 */
function normalizedMoves(rate: number, seconds: number, windowSec: number, seed: number): number[] {
  let clock = 0;
  const model = new MarketModel(TOKENS, seededRandom(seed), () => clock);
  const moves: number[] = [];
  let windowStart = new Map(TOKENS.map((id) => [id, model.tokens.get(id)!.price]));
  const total = Math.round(rate * seconds);
  const perWindow = Math.round(rate * windowSec);
  for (let i = 1; i <= total; i++) {
    clock = (i * 1000) / rate;
    model.tick(TOKENS[i % TOKENS.length]!);
    if (i % perWindow === 0) {
      for (const id of TOKENS) {
        const t = model.tokens.get(id)!;
        moves.push(Math.log(t.price / windowStart.get(id)!) / (t.volatility * Math.sqrt((windowSec * 1000) / DAY_MS)));
      }
      windowStart = new Map(TOKENS.map((id) => [id, model.tokens.get(id)!.price]));
    }
  }
  return moves;
}

function spread(values: readonly number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
}

describe('market model', () => {
  it('spreads price moves by elapsed time with the configured daily volatility, at 20 and at 2,000 msg/s alike', () => {
    // 1,000 simulated seconds in 10 s windows: 100 windows x 5 tokens = 500 moves per rate,
    // so the spread is known to about 3%; the bounds allow 15%.
    const slow = normalizedMoves(20, 1000, 10, 42);
    const fast = normalizedMoves(2000, 1000, 10, 42);
    assert.equal(slow.length, 500);
    assert.equal(fast.length, 500);
    const s = spread(slow);
    const f = spread(fast);
    assert.ok(s > 0.85 && s < 1.15, `20 msg/s: spread ${s.toFixed(3)} of the configured volatility`);
    assert.ok(f > 0.85 && f < 1.15, `2,000 msg/s: spread ${f.toFixed(3)} of the configured volatility`);
    assert.ok(f / s > 0.85 && f / s < 1.18, `same spread at both rates: ${s.toFixed(3)} vs ${f.toFixed(3)}`);
  });

  it('keeps prices and market caps plausible: three minutes at 200 msg/s move BTC by well under 5%', () => {
    let clock = 0;
    const model = new MarketModel(TOKENS, seededRandom(7), () => clock);
    const first = new Map(TOKENS.map((id) => [id, model.tick(id)]));
    // Caps from fixed circulating supplies, in the order real markets ranked them.
    const caps = TOKENS.map((id) => first.get(id)!.marketCap);
    assert.ok(first.get('BTC')!.marketCap > 5e11 && first.get('BTC')!.marketCap < 1.5e12, `BTC cap ${first.get('BTC')!.marketCap}`);
    assert.deepEqual(
      [...TOKENS].sort((a, b) => first.get(b)!.marketCap - first.get(a)!.marketCap),
      ['BTC', 'ETH', 'SOL', 'DOGE', 'ODIN'],
      `caps ${caps.join(', ')}`,
    );
    for (let i = 0; i < 200 * 180; i++) {
      clock = i * 5;
      model.tick(TOKENS[i % TOKENS.length]!);
    }
    for (const id of TOKENS) {
      const moved = model.tokens.get(id)!.price / TOKEN_PROFILES[id]!.price - 1;
      // Daily volatility 3-12% gives moves of ~0.1-0.5% in three minutes; the old per-tick walk gave 30-44%.
      assert.ok(Math.abs(moved) < 0.05, `${id} moved ${(moved * 100).toFixed(2)}% in three simulated minutes`);
    }
    const stats = model.statistics();
    assert.equal(stats.activeTokens, 5);
    assert.deepEqual(stats.topTokens.map((t) => t.tokenId), ['BTC', 'ETH', 'SOL']);
    assert.ok(stats.totalMarketCap > 1e12 && stats.totalMarketCap < 2e12, `total cap ${stats.totalMarketCap}`);
  });

  it("keeps the reference's fields, and the 24 h change restarts each simulated day", () => {
    let clock = 0;
    const model = new MarketModel(['BTC', 'NEWCOIN'], seededRandom(3), () => clock);
    const tick = model.tick('BTC');
    assert.deepEqual(Object.keys(tick).sort(), ['marketCap', 'nonce', 'price', 'priceChange24h', 'source', 'timestamp', 'tokenId', 'type', 'volume24h']);
    assert.equal(tick.type, 'price:update');
    assert.equal(tick.price, 43250);
    const other = model.tick('NEWCOIN');
    assert.ok(other.price >= 1 && other.price <= 100 && other.marketCap === Math.round(model.tokens.get('NEWCOIN')!.price * 1e8), `NEWCOIN ${JSON.stringify(other)}`);
    clock = DAY_MS - 1000;
    assert.notEqual(model.tick('BTC').priceChange24h, 0, 'a day moves the price');
    clock = DAY_MS + 1000;
    assert.equal(model.tick('BTC').priceChange24h, 0, 'a new day opens at the current price');
  });
});
