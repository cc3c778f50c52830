// The load tools' own logic: latency accounting, gap detection, the data
// line scanner, trader sampling, auto-balancing decisions, source addresses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeConflatedMessage, encodeDataMessage } from '../../src/protocol/data-message-encoder.js';
import { decideBalance, desiredConnections, isPeakHour, rampStep } from '../../src/load/auto-balancer.js';
import { GENERATOR_RULES, isGeneratorBusy } from '../../src/load/generator-monitor.js';
import { forEachLine, scanDataLine } from '../../src/load/data-line-scanner.js';
import { GapDetector } from '../../src/load/gap-detector.js';
import { LatencyRecorder } from '../../src/load/latency-recorder.js';
import { sourceAddresses, sourceAddressFor } from '../../src/load/source-addresses.js';
import { sampleChannels, sampleSessionMs, sampleTraderType, TRADER_TYPES } from '../../src/load/trader-types.js';
import { loadConfigFrom } from '../../src/config/load-options.js';

/** A small deterministic PRNG (mulberry32) so that sampling tests are exact. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('latency accounting', () => {
  it('reports percentiles of 1..1000 ms within the histogram precision', () => {
    const r = new LatencyRecorder();
    for (let ms = 1; ms <= 1000; ms++) r.recordMs(ms);
    const p = r.percentiles();
    assert.equal(p.count, 1000);
    assert.ok(Math.abs(p.p50 - 500) <= 1, `p50 ${p.p50}`);
    assert.ok(Math.abs(p.p90 - 900) <= 1, `p90 ${p.p90}`);
    assert.ok(Math.abs(p.p99 - 990) <= 1, `p99 ${p.p99}`);
    assert.ok(Math.abs(p.max - 1000) <= 1, `max ${p.max}`);
  });

  it('keeps sub-millisecond values and clamps negative ones (clock skew) to zero', () => {
    const r = new LatencyRecorder();
    r.recordMs(0.25);
    r.recordMs(-3);
    const p = r.percentiles();
    assert.equal(p.count, 2);
    assert.ok(p.max >= 0.249 && p.max <= 0.251);
    assert.ok(p.p50 <= 0.001);
  });

  it('never reports a percentile above the max (HDR answers with the top of a bucket, above the value recorded)', () => {
    const r = new LatencyRecorder();
    for (let i = 0; i < 100; i++) r.recordMs(123.457);
    const p = r.percentiles();
    assert.equal(p.max, 123.457);
    for (const key of ['p50', 'p90', 'p99', 'p999'] as const) assert.ok(p[key] <= p.max, `${key} ${p[key]} <= max ${p.max}`);
    assert.equal(p.p99, 123.457);
    const spread = new LatencyRecorder();
    for (let i = 1; i <= 997; i++) spread.recordMs(i * 7.77);
    const q = spread.percentiles();
    assert.ok(q.p50 <= q.p90 && q.p90 <= q.p99 && q.p99 <= q.p999 && q.p999 <= q.max, JSON.stringify(q));
  });

  it('is all zeros when empty, and windows add into totals', () => {
    assert.deepEqual(new LatencyRecorder().percentiles(), { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 });
    const total = new LatencyRecorder();
    const window = new LatencyRecorder();
    window.recordMs(5);
    total.add(window);
    window.reset();
    assert.equal(total.count, 1);
    assert.equal(window.count, 0);
  });
});

describe('gap detection from positions', () => {
  it('accepts a channel whose prev chains to the last seq, per channel', () => {
    const d = new GapDetector();
    assert.equal(d.observe('a', 3, 0, 'e'), 'ok');
    assert.equal(d.observe('b', 4, 0, 'e'), 'ok');
    assert.equal(d.observe('a', 7, 3, 'e'), 'ok');
    assert.equal(d.observe('b', 9, 4, 'e'), 'ok');
    assert.equal(d.gaps, 0);
    assert.deepEqual(d.position('a'), { seq: 7, epoch: 'e' });
  });

  it('reports a missing message and a duplicate', () => {
    const d = new GapDetector();
    d.observe('a', 3, 0, 'e');
    assert.equal(d.observe('a', 9, 7, 'e'), 'gap');
    assert.deepEqual(d.examples[0], { channel: 'a', expectedPrev: 3, prev: 7, seq: 9 });
    assert.equal(d.observe('a', 9, 7, 'e'), 'duplicate');
    assert.equal(d.gaps, 1);
    assert.equal(d.duplicates, 1);
    // prev 0 is "unknown" (the shared rule): unverifiable, not loss.
    assert.equal(d.observe('a', 12, 0, 'e'), 'unverified');
    assert.equal(d.gaps, 1);
    assert.equal(d.unverified, 1);
    assert.deepEqual(d.position('a'), { seq: 12, epoch: 'e' });
  });

  it('a new epoch without a reset is a gap (the SDK\'s verdict); after a reset (recovered:false) continuity restarts', () => {
    const d = new GapDetector();
    d.observe('a', 30, 0, 'old');
    assert.equal(d.observe('a', 2, 0, 'new'), 'gap');
    assert.equal(d.gaps, 1);
    d.reset('a');
    assert.equal(d.observe('a', 50, 40, 'new'), 'ok');
    d.observe('b.x', 60, 0, 'new');
    d.resetMatching((channel) => channel.startsWith('b.'));
    assert.equal(d.observe('b.x', 3, 0, 'newer'), 'ok');
    assert.equal(d.gaps, 1);
  });
});

describe('data line scanner', () => {
  const message = { channel: 'token.BTC.price', seq: 134, prev: 131, epoch: 'k3f9a1', ts: 1732680000123, event: 'price:update', payload: '{"type":"price:update","price":1.5,"text":"a\\"b"}' };

  it('reads channel, seq, prev, epoch and ts from what the gateway encodes', () => {
    assert.deepEqual(scanDataLine(encodeDataMessage(message)), { channel: 'token.BTC.price', seq: 134, prev: 131, epoch: 'k3f9a1', ts: 1732680000123 });
  });

  it('reads a conflated message\'s skipped (a declared skip, not a gap), also after an event with escaped quotes', () => {
    const m = { channel: 'token.BTC.price', seq: 140, prev: 131, epoch: 'k3f9a1', ts: 5, event: 'a\\"b,"skipped":9', payload: '{}' };
    assert.deepEqual(scanDataLine(encodeConflatedMessage(m, 3)), { channel: 'token.BTC.price', seq: 140, prev: 131, epoch: 'k3f9a1', ts: 5, skipped: 3 });
    assert.equal(scanDataLine(encodeDataMessage(m))?.skipped, undefined);
    const d = new GapDetector();
    d.observe('token.BTC.price', 120, 0, 'k3f9a1');
    const header = scanDataLine(encodeConflatedMessage(m, 3))!;
    assert.equal(d.observe(header.channel, header.seq, header.prev, header.epoch, header.skipped), 'ok');
  });

  it('falls back to JSON for another field order, and ignores control messages', () => {
    const reordered = JSON.stringify({ type: 'message', seq: 5, channel: 'x', prev: 2, epoch: 'e', ts: 9, data: {} });
    assert.deepEqual(scanDataLine(reordered), { channel: 'x', seq: 5, prev: 2, epoch: 'e', ts: 9 });
    assert.equal(scanDataLine('{"type":"pong","ts":1}'), undefined);
    assert.equal(scanDataLine('not json'), undefined);
  });

  it('splits a batch frame into its lines', () => {
    const lines: string[] = [];
    forEachLine('a\nbb\nccc', (l) => lines.push(l));
    assert.deepEqual(lines, ['a', 'bb', 'ccc']);
  });
});

describe('trader sampling', () => {
  it('draws the reference shares: quick 20%, active 35%, day 30%, long holder 10%, bot 5%', () => {
    const random = seeded(42);
    const counts = new Map<string, number>();
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const t = sampleTraderType(random);
      counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    }
    for (const t of TRADER_TYPES) {
      const share = (counts.get(t.name) ?? 0) / n;
      assert.ok(Math.abs(share - t.share) < 0.01, `${t.name}: ${share} vs ${t.share}`);
    }
  });

  it('keeps session lengths in the type range, scaled', () => {
    const random = seeded(7);
    for (const t of TRADER_TYPES) {
      for (let i = 0; i < 100; i++) {
        const ms = sampleSessionMs(t, 0.01, random);
        assert.ok(ms >= t.minSessionMs * 0.01 && ms <= t.maxSessionMs * 0.01, `${t.name} ${ms}`);
      }
    }
    const quick = TRADER_TYPES.find((t) => t.name === 'quick')!;
    assert.equal(sampleSessionMs(quick, 1, () => 0), 30_000);
    assert.equal(sampleSessionMs(quick, 1, () => 1), 300_000);
  });

  it('gives bots every channel and others 1 to 3 distinct ones', () => {
    const channels = ['a', 'b', 'c', 'd', 'e'];
    const bot = TRADER_TYPES.find((t) => t.name === 'bot')!;
    assert.deepEqual(sampleChannels(bot, channels), channels);
    const random = seeded(3);
    for (let i = 0; i < 200; i++) {
      const picked = sampleChannels(TRADER_TYPES[0]!, channels, random);
      assert.ok(picked.length >= 1 && picked.length <= 3);
      assert.equal(new Set(picked).size, picked.length);
    }
  });
});

describe('auto-balancing decisions', () => {
  const calm = { healthy: true, status: 'healthy', checks: { cpu: { percentage: 20 }, memory: { percentage: 30 } } };
  const base = { errorRate: 0, target: 100, min: 10, max: 200 };

  it('grows the target 5% when cpu < 50% and memory < 60%', () => {
    assert.deepEqual(decideBalance({ ...base, health: calm }), { action: 'grow', target: 105, reason: 'headroom: cpu 20%, memory 30%' });
    assert.equal(decideBalance({ ...base, target: 10, health: calm }).target, 11, 'grows by at least one');
    assert.equal(decideBalance({ ...base, target: 200, health: calm }).action, 'hold');
  });

  it('sheds 10% on cpu > 85%, memory > 90%, error rate > 5%, unhealthy or unreadable health', () => {
    const cases = [
      { health: { ...calm, checks: { cpu: { percentage: 86 }, memory: { percentage: 30 } } } },
      { health: { ...calm, checks: { cpu: { percentage: 20 }, memory: { percentage: 91 } } } },
      { health: calm, errorRate: 0.06 },
      { health: { healthy: false, status: 'unhealthy' } },
      { health: undefined },
    ];
    for (const c of cases) {
      const d = decideBalance({ ...base, ...c });
      assert.equal(d.action, 'shed', JSON.stringify(c));
      assert.equal(d.target, 90);
    }
    assert.equal(decideBalance({ ...base, target: 10, health: undefined }).action, 'hold', 'never below min');
  });

  it('a busy generator holds instead of growing, an overloaded one sheds, even when the gateway has headroom', () => {
    const idle = { utilization: 0.3, delayP50Ms: 1, delayP99Ms: 20, delayMaxMs: 40 };
    assert.equal(decideBalance({ ...base, health: calm, generator: idle }).action, 'grow', 'an idle generator does not stop growth');
    const busyLoop = { ...idle, utilization: 0.95 };
    assert.deepEqual(decideBalance({ ...base, health: calm, generator: busyLoop }), { action: 'hold', target: 100, reason: 'generator busy: event loop busy 95%, delay p99 20 ms' });
    const lateLoop = { ...idle, delayP99Ms: 250, delayMaxMs: 400 };
    assert.deepEqual(decideBalance({ ...base, health: calm, generator: lateLoop }), { action: 'hold', target: 100, reason: 'generator busy: event loop busy 30%, delay p99 250 ms' });
    const overloaded = { ...idle, utilization: 1, delayP99Ms: 1500, delayMaxMs: 2000 };
    assert.deepEqual(decideBalance({ ...base, health: calm, generator: overloaded }), { action: 'shed', target: 90, reason: 'generator overloaded: event loop busy 100%, delay p99 1500 ms' });
    assert.equal(decideBalance({ ...base, health: calm, generator: undefined }).action, 'grow', 'not yet measured: the gateway decides');
    // The thresholds the README states.
    assert.deepEqual([GENERATOR_RULES.busyUtilization, GENERATOR_RULES.busyDelayMs, GENERATOR_RULES.overloadDelayMs], [0.9, 100, 1000]);
    assert.equal(isGeneratorBusy({ ...idle, utilization: 0.89, delayP99Ms: 99 }), false);
    assert.equal(isGeneratorBusy({ ...idle, delayP99Ms: 100 }), true);
  });

  it('holds in between', () => {
    assert.equal(decideBalance({ ...base, health: { ...calm, checks: { cpu: { percentage: 60 }, memory: { percentage: 30 } } } }).action, 'hold');
  });

  it('aims 1.5x higher in peak hours 13-20 UTC, within bounds', () => {
    assert.equal(isPeakHour(new Date('2025-01-01T12:59:00Z')), false);
    assert.equal(isPeakHour(new Date('2025-01-01T13:00:00Z')), true);
    assert.equal(isPeakHour(new Date('2025-01-01T19:59:00Z')), true);
    assert.equal(isPeakHour(new Date('2025-01-01T20:00:00Z')), false);
    assert.equal(desiredConnections(100, new Date('2025-01-01T14:00:00Z'), 10, 1000), 150);
    assert.equal(desiredConnections(100, new Date('2025-01-01T14:00:00Z'), 10, 120), 120);
    assert.equal(desiredConnections(100, new Date('2025-01-01T02:00:00Z'), 10, 1000), 100);
  });

  it('ramps 10 at a time up to the target, also after ramp-up when the target grows, and closes surplus', () => {
    assert.equal(rampStep(0, 100, 10), 10);
    assert.equal(rampStep(95, 100, 10), 5);
    assert.equal(rampStep(100, 105, 10), 5, 'growth after ramp-up opens connections');
    assert.equal(rampStep(100, 90, 10), -10);
    assert.equal(rampStep(100, 100, 10), 0);
  });
});

describe('source addresses', () => {
  it('lets the kernel choose when one address has enough ports', () => {
    assert.deepEqual(sourceAddresses('127.0.0.1', 1000, 20_000), []);
    assert.equal(sourceAddressFor([], 5), undefined);
  });

  it('spreads over 127.0.0.x when one address would run out of ports, and only for IPv4 loopback', () => {
    const a = sourceAddresses('127.0.0.1', 50_000, 20_000);
    assert.deepEqual(a, ['127.0.0.1', '127.0.0.2', '127.0.0.3']);
    assert.equal(sourceAddressFor(a, 4), '127.0.0.2');
    assert.deepEqual(sourceAddresses('10.0.0.5', 50_000, 20_000), []);
    assert.deepEqual(sourceAddresses('localhost', 50_000, 20_000), []);
    assert.equal(sourceAddresses('127.0.0.1', 10_000_000, 20_000).length, 64, 'bounded');
  });
});

describe('load options', () => {
  it('takes connections and duration from the preset unless given', () => {
    assert.equal(loadConfigFrom(['heavy'], {}).connections, 2000);
    assert.equal(loadConfigFrom(['heavy'], {}).duration, 120);
    assert.equal(loadConfigFrom(['medium', '--connections', '7'], {}).connections, 7);
    assert.equal(loadConfigFrom(['light'], {}).url, 'ws://127.0.0.1:3004/ws');
    assert.throws(() => loadConfigFrom(['huge'], {}), /unknown load mode/);
    assert.throws(() => loadConfigFrom(['custom', '--url', 'http://x'], {}), /ws:\/\//);
  });
});
