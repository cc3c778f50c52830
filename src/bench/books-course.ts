// The books course (issue 21): the same clients over the same number of
// channels, first on price channels (~200-byte ticks), then on book channels
// (the simulator's book messages, folded and checksummed by the gateway once
// per message), each on a fresh Odin: deliveries/s at a fixed rate with p99,
// bytes per delivery, server CPU per delivery, and the maximum sustained
// deliveries/s. Then the cost of a subscribe that starts with a snapshot
// (a 50-level book) beside one that starts with a price's latest value:
// sequential subscribe -> `subscribed` round trips on one connection. The
// verdict: a book delivery costs at most 1.2x a price delivery, judged by
// the maximum sustained rate (price max / book max) and by server CPU per
// delivery at the fixed rate.
import WebSocket from 'ws';
import { LatencyRecorder, preciseNowMs, type LatencyPercentiles } from '../load/latency-recorder.js';
import { runScenario, type Scenario, type SystemResult, type Timing, type RateMeasurement } from './bench-scenario.js';
import type { SystemSpec } from './bench-systems.js';
import { benchBookChannels, benchChannels } from './price-tick.js';

export interface SubscribeCost {
  /** Subscribe to `subscribed`, ms. */
  ms: LatencyPercentiles;
  /** Bytes received per subscribe (the snapshot or the latest value, and the answers). */
  bytes: number;
}

export interface BooksCourseResult {
  prices: SystemResult;
  books: SystemResult;
  snapshot?: { rounds: number; book: SubscribeCost; price: SubscribeCost };
  ratios: {
    /** Price max deliveries/s over book max: > 1 when books are costlier. */
    maxThroughput?: number;
    /** Server CPU per delivery at the fixed rate, book over price. */
    cpuPerDelivery?: number;
    p99?: number;
    bytesPerDelivery?: number;
  };
  /** True when every measured cost ratio is at most 1.2. */
  within1_2x: boolean | undefined;
}

const TARGET_RATIO = 1.2;

/** Server CPU microseconds per delivery at a measured rate. */
export function cpuMicrosPerDelivery(m: RateMeasurement | undefined): number | undefined {
  if (!m || m.delivered <= 0) return undefined;
  return Math.round(((m.serverCpuPercent / 100) * 1e6 * 100) / m.delivered) / 100;
}

const ratio = (a: number | undefined, b: number | undefined): number | undefined => (a !== undefined && b !== undefined && b > 0 ? Math.round((a / b) * 100) / 100 : undefined);

/** The cost ratios of book deliveries against price deliveries, and whether they are within 1.2x. */
export function booksRatios(prices: SystemResult, books: SystemResult): Pick<BooksCourseResult, 'ratios' | 'within1_2x'> {
  const ratios = {
    maxThroughput: ratio(prices.max?.deliveriesPerSec, books.max?.deliveriesPerSec),
    cpuPerDelivery: ratio(cpuMicrosPerDelivery(books.fixed), cpuMicrosPerDelivery(prices.fixed)),
    p99: ratio(books.fixed?.latencyMs.p99, prices.fixed?.latencyMs.p99),
    bytesPerDelivery: ratio(books.fixed?.bytesPerDelivery, prices.fixed?.bytesPerDelivery),
  };
  const costs = [ratios.maxThroughput, ratios.cpuPerDelivery].filter((r): r is number => r !== undefined);
  return { ratios, within1_2x: costs.length > 0 ? costs.every((r) => r <= TARGET_RATIO) : undefined };
}

export async function runBooksCourse(spec: SystemSpec, scenario: Scenario, timing: Timing, result: SystemResult, log: (line: string) => void): Promise<SystemResult> {
  const base: Scenario = { ...scenario };
  delete base.books;
  log(`  ${spec.name}: price channels`);
  const prices = await runScenario(spec, { ...base, name: `${scenario.name}/prices`, channelKind: 'price' }, timing, { log });
  log(`  ${spec.name}: book channels`);
  const books = await runScenario(spec, { ...base, name: `${scenario.name}/books`, channelKind: 'book' }, timing, { log });
  const course: BooksCourseResult = { prices, books, ...booksRatios(prices, books) };
  try {
    course.snapshot = await measureSubscribeCost(spec, scenario.channels, scenario.books!.snapshotRounds);
    log(`  ${spec.name}: subscribe with a snapshot p50 ${course.snapshot.book.ms.p50} ms p99 ${course.snapshot.book.ms.p99} ms (${course.snapshot.book.bytes} B); with a latest price p50 ${course.snapshot.price.ms.p50} ms p99 ${course.snapshot.price.ms.p99} ms (${course.snapshot.price.bytes} B)`);
  } catch (err) {
    result.note = `snapshot cost not measured: ${err instanceof Error ? err.message : String(err)}`;
  }
  log(`  ${spec.name}: book/price ratios ${JSON.stringify(course.ratios)}; within 1.2x: ${course.within1_2x ?? 'not measured'}`);
  result.books = course;
  if (prices.status !== 'ok' || books.status !== 'ok') {
    result.status = 'failed';
    result.note = [prices.note, books.note].filter(Boolean).join('; ');
  }
  result.gaps = (prices.gaps ?? 0) + (books.gaps ?? 0);
  result.closes = (prices.closes ?? 0) + (books.closes ?? 0);
  return result;
}

/** Sequential subscribe -> subscribed round trips on one connection, for book channels (snapshot) and price channels (latest). */
async function measureSubscribeCost(spec: SystemSpec, channels: number, rounds: number): Promise<{ rounds: number; book: SubscribeCost; price: SubscribeCost }> {
  const system = await spec.start({});
  try {
    const bookChannels = benchBookChannels(channels);
    const priceChannels = benchChannels(channels);
    // Every channel gets a book (the first message is a snapshot) and a price.
    const all = [...bookChannels, ...priceChannels];
    system.setRate(all.length * 20, all);
    await new Promise((r) => setTimeout(r, 1500));
    system.setRate(0, all);
    const ws = new WebSocket(system.urlFor([]));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    try {
      const book = await subscribeRounds(ws, rounds, (i) => ({ channel: bookChannels[i % bookChannels.length]!, depth: 1000 }));
      const price = await subscribeRounds(ws, rounds, (i) => ({ channel: priceChannels[i % priceChannels.length]!, latest: true }));
      return { rounds, book, price };
    } finally {
      ws.close();
    }
  } finally {
    await system.stop();
  }
}

async function subscribeRounds(ws: WebSocket, rounds: number, entry: (i: number) => { channel: string; depth?: number; latest?: boolean }): Promise<SubscribeCost> {
  const latency = new LatencyRecorder();
  let bytes = 0;
  for (let i = 0; i < rounds; i++) {
    const e = entry(i);
    const started = preciseNowMs();
    let received = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no subscribed answer for ${e.channel} within 10 s`)), 10_000);
      const onMessage = (raw: WebSocket.RawData): void => {
        const text = (raw as Buffer).toString();
        received += Buffer.byteLength(text);
        if (text.includes('"type":"subscribed"')) {
          clearTimeout(timer);
          ws.off('message', onMessage);
          resolve();
        }
      };
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ type: 'subscribe', id: i, channels: [e] }));
    });
    latency.recordMs(preciseNowMs() - started);
    bytes += received;
    // Unsubscribed before the next round: every round starts from nothing.
    await new Promise<void>((resolve) => {
      const onMessage = (raw: WebSocket.RawData): void => {
        if ((raw as Buffer).toString().includes('"type":"unsubscribed"')) {
          ws.off('message', onMessage);
          resolve();
        }
      };
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ type: 'unsubscribe', channels: [e.channel] }));
    });
  }
  return { ms: latency.percentiles(), bytes: Math.round(bytes / Math.max(1, rounds)) };
}
