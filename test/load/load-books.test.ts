// odin load's book subscribers: a realistic run against a gateway whose
// simulator publishes books (as in `odin dev`) verifies every checksum and
// reports 0 mismatches; a wrong checksum is counted and fails the run, and the
// client resynchronises with a fresh snapshot.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { runFailure } from '../../src/cli/commands/load.js';
import { LoadClient } from '../../src/load/load-client.js';
import { LoadStats, summarize } from '../../src/load/load-stats.js';
import { summaryText } from '../../src/load/console-report.js';
import { healthUrlFor, runRealistic } from '../../src/load/realistic-run.js';
import { createLogger } from '../../src/observability/logger.js';
import { startPublisher } from '../../src/publisher/publisher-runtime.js';
import { startTestGateway } from '../helpers/gateway-harness.js';

const PRICES = ['token.BTC.price', 'token.ETH.price'];
const BOOKS = ['book.BTC', 'book.ETH'];

test('a realistic run with book followers against the simulator reports 0 book mismatches', { timeout: 90_000 }, async () => {
  const g = await startTestGateway();
  const publisher = await startPublisher({
    broker: g.broker,
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    registry: new Registry(),
    settings: { messagesPerSecond: 50, tokens: ['BTC', 'ETH'], duration: 0, statisticsIntervalMs: 60_000, tradeEventsPerSecond: 0, users: [], maxInFlight: 1000, bookMessagesPerSecond: 40 },
    instanceId: 'load-books',
  });
  publisher.service.start();
  try {
    const abort = new AbortController();
    const summary = await runRealistic({
      url: g.url,
      healthUrl: healthUrlFor(g.url),
      target: 20,
      min: 5,
      max: 40,
      durationMs: 60_000,
      timeScale: 0.01,
      channels: PRICES,
      bookChannels: BOOKS,
      bookShare: 0.5,
      keepaliveMs: 0,
      // Until book followers verified messages across reconnects and resumes (a positive marker), at most 60 s.
      onProgress: (_p, s) => void (s.bookVerified >= 300 && s.reconnects > 0 && s.resumesRecovered > 0 && abort.abort()),
      signal: abort.signal,
    });
    assert.ok(summary.books.verified >= 300, `${summary.books.verified} verified`);
    assert.equal(summary.books.mismatches, 0);
    assert.equal(summary.gaps, 0);
    assert.equal(summary.duplicates, 0);
    assert.match(summaryText(summary), /book mismatches: 0 \(ok\)/);
    assert.equal(runFailure(summary), undefined);
  } finally {
    await publisher.stop();
    await g.stop();
  }
});

test('a wrong checksum is counted as a book mismatch, fails the run, and the client resubscribes for a fresh snapshot', { timeout: 30_000 }, async () => {
  const g = await startTestGateway();
  try {
    await g.broker.publish('book.BTC', { kind: 'snapshot', bids: [['100', '1.0']], asks: [['101', '2.0']] });
    const stats = new LoadStats();
    const client = new LoadClient({ url: g.url, channels: ['book.BTC'], keepaliveMs: 0 }, stats);
    client.connect();
    const until = async (ok: () => boolean, what: string): Promise<void> => {
      const deadline = Date.now() + 20_000;
      while (!ok()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await until(() => stats.bookVerified === 1, 'the snapshot verified');
    // A frame as a broken gateway would send it: the level applies, the checksum does not match.
    const seq = client.detector.position('book.BTC')!;
    const forged = { type: 'message', channel: 'book.BTC', seq: seq.seq + 1, prev: seq.seq, epoch: seq.epoch, ts: Date.now(), data: { kind: 'update', bids: [['99', '1.0']], asks: [], checksum: 12345 } };
    client.handleFrame(client.ws!, Buffer.from(JSON.stringify(forged)));
    assert.equal(stats.bookMismatches, 1);
    // The resubscribe brings a fresh snapshot, which verifies.
    await until(() => stats.bookVerified === 2, 'a fresh snapshot after the resubscribe');
    assert.equal(stats.bookResyncs, 1);
    assert.equal(stats.gaps, 0);
    assert.equal(stats.duplicates, 0);
    client.close();
    const summary = summarize(stats, 'custom', g.url, 1, 0);
    assert.match(summaryText(summary), /book mismatches: 1 \(WRONG BOOK!\)/);
    assert.match(runFailure(summary) ?? '', /1 book mismatches/);
  } finally {
    await g.stop();
  }
});
