// odin bench's books course: the same clients on price channels then on book
// channels, each measured; a snapshot's cost beside a latest price's; the
// 1.2x verdict (which can fail: the ratio logic is checked on its own).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { booksRatios, cpuMicrosPerDelivery } from '../../src/bench/books-course.js';
import type { RateMeasurement, SystemResult } from '../../src/bench/bench-scenario.js';
import { bench } from './bench-cli.js';

const measured = (delivered: number, cpu: number, p99: number, bytes: number): RateMeasurement => ({
  offered: delivered,
  delivered,
  latencyMs: { p50: p99 / 2, p90: p99, p99, p999: p99, max: p99, count: 100 } as RateMeasurement['latencyMs'],
  gaps: 0,
  closes: 0,
  serverCpuPercent: cpu,
  generatorUtilization: [],
  drained: true,
  bytesPerDelivery: bytes,
});
const run = (fixed: RateMeasurement, max: number): SystemResult => ({ system: 'odin', scenario: 'books', status: 'ok', fixed, max: { deliveriesPerSec: max, steps: [] } });

it('the verdict: within 1.2x only when both the max-throughput and the cpu-per-delivery ratios are', () => {
  assert.equal(cpuMicrosPerDelivery(measured(50_000, 50, 1, 200)), 10);
  const prices = run(measured(50_000, 50, 2, 250), 400_000);
  const ok = booksRatios(prices, run(measured(50_000, 55, 2.2, 300), 360_000));
  assert.deepEqual(ok.ratios, { maxThroughput: 1.11, cpuPerDelivery: 1.1, p99: 1.1, bytesPerDelivery: 1.2 });
  assert.equal(ok.within1_2x, true);
  assert.equal(booksRatios(prices, run(measured(50_000, 80, 2, 300), 360_000)).within1_2x, false, 'cpu per delivery 1.6x');
  assert.equal(booksRatios(prices, run(measured(50_000, 55, 2, 300), 200_000)).within1_2x, false, 'half the max throughput');
});

it('odin bench --tiny --scenarios tiny-books: prices then books delivered without gaps, a snapshot costs more bytes than a latest price', { timeout: 300_000 }, async () => {
  const { result, err } = await bench(['--tiny', '--scenarios', 'tiny-books']);
  const r = result.results.find((x) => x.scenario === 'tiny-books')!;
  assert.equal(r.status, 'ok', r.note);
  const course = r.books!;
  for (const part of [course.prices, course.books]) {
    assert.equal(part.status, 'ok', part.note);
    assert.ok(part.fixed!.delivered > 0, `${part.scenario} delivered`);
    assert.ok(part.fixed!.latencyMs.count > 0, `${part.scenario} sampled latency`);
    assert.ok(part.fixed!.bytesPerDelivery! > 0);
    assert.equal(part.gaps, 0, `${part.scenario} gaps`);
    assert.ok(part.max!.deliveriesPerSec > 0);
  }
  assert.ok(course.snapshot, r.note);
  assert.ok(course.snapshot.book.bytes > course.snapshot.price.bytes, 'a 50-level snapshot is bigger than a price');
  assert.ok(course.snapshot.book.ms.count === 10 && course.snapshot.price.ms.count === 10);
  assert.ok(course.ratios.maxThroughput !== undefined && course.ratios.cpuPerDelivery !== undefined);
  assert.match(err, /Order books: the same clients on price channels/);
  assert.match(err, /at most 1\.2x: (holds|does NOT hold)/);
});
