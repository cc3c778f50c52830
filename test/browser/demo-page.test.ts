// The demo page in real headless Chromium (Debian's, never a downloaded one):
// it loads the SDK unbundled from /sdk/, shows live prices, and its
// drop-and-resume button recovers the missed messages without a gap; its
// book.BTC depth ladder (the SDK's client.book()) verifies every checksum and
// is verified again after a drop. Saves
// test-results/demo.png (docs/demo.png, the README's, with UPDATE_SCREENSHOT=1).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { Registry } from 'prom-client';
import { createLogger } from '../../src/observability/logger.js';
import { PublisherService } from '../../src/publisher/publisher-service.js';
import { startTestGateway, type GatewayHarness } from '../helpers/gateway-harness.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';

/** Debian's chromium (never a downloaded browser); CHROMIUM_BIN overrides the path. */
const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('demo page in headless Chromium', () => {
  let gw: GatewayHarness;
  let publisher: PublisherService;
  let profile: string;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    // Missing is a failure, not a skip: .ci/install-system-deps.sh installs it.
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (bash .ci/install-system-deps.sh) or set CHROMIUM_BIN`);
    // Every batch frame compressed (minimum 0): the page must work with Chromium's own permessage-deflate offer.
    gw = await startTestGateway({ compressionMinBytes: 0 });
    publisher = new PublisherService(
      { broker: gw.broker, logger: createLogger('silent'), registry: new Registry(), instanceId: 'browser-test' },
      { messagesPerSecond: 50, tokens: ['BTC', 'ETH', 'ODIN', 'SOL', 'DOGE'], duration: 0, statisticsIntervalMs: 1000, tradeEventsPerSecond: 0, users: [], maxInFlight: 1000, bookMessagesPerSecond: 25 },
    );
    publisher.start();
    profile = await mkdtemp(join(tmpdir(), 'odin-chromium-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, viewport: { width: 1100, height: 760 } });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });
  });

  after(async () => {
    await context?.close();
    publisher?.stop();
    await gw?.stop();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  const text = async (selector: string): Promise<string> => (await page.textContent(selector)) ?? '';

  it('loads, connects and shows every token with moving prices', async () => {
    await page.goto(`${gw.httpUrl}/`);
    await page.waitForSelector('#state[data-state="open"]', { timeout: 30_000 });
    await page.waitForFunction(() => document.querySelectorAll('#ticker-rows tr[data-token]').length === 5, undefined, { timeout: 15_000 });
    const tokens = await page.$$eval('#ticker-rows tr[data-token]', (rows) => rows.map((r) => (r as HTMLElement).dataset.token));
    assert.deepEqual(tokens, ['BTC', 'DOGE', 'ETH', 'ODIN', 'SOL']);
    const first = await text('tr[data-token="BTC"] .price');
    assert.match(first, /^[\d,.]+$/);
    await page.waitForFunction((p) => document.querySelector('tr[data-token="BTC"] .price')?.textContent !== p, first, { timeout: 15_000 });
    await page.waitForFunction(() => Number(document.getElementById('rate')?.textContent) > 0, undefined, { timeout: 5000 });
    await page.waitForFunction(() => (document.querySelector('tr[data-token="ETH"] polyline')?.getAttribute('points') ?? '').split(' ').length > 3, undefined, { timeout: 10_000 });
    await page.waitForFunction(() => document.getElementById('total-cap')?.textContent !== '–', undefined, { timeout: 10_000 });
    // Chromium offered permessage-deflate by itself and got compressed frames (it is the only client).
    const metrics = await fetchMetrics(gw.httpUrl);
    const wire = metricValue(metrics, 'ws_bytes_sent_total');
    const plain = metricValue(metrics, 'ws_bytes_sent_uncompressed_total');
    assert.ok(wire < plain * 0.8, `compressed frames reached Chromium: ${wire} bytes on the wire for ${plain} uncompressed`);
  });

  it('drops the connection and resumes with every missed message recovered and no gap', async () => {
    await page.click('#drop');
    await page.waitForSelector('#state[data-state="reconnecting"]', { timeout: 5000 });
    await page.waitForSelector('#state[data-state="open"]', { timeout: 30_000 });
    await page.waitForSelector('#last-resume[data-result="recovered"]', { timeout: 10_000 });
    const recovered = Number(await text('#recovered'));
    // Two seconds down at 50 msg/s: dozens of price updates came back by replay.
    assert.ok(recovered >= 20, `recovered ${recovered}`);
    assert.equal(await text('#reconnects'), '1');
    assert.equal(await text('#gaps'), '0');
    assert.equal(await text('#resyncs'), '0');
    assert.match(await text('#last-resume'), /nothing lost/);
    // Every message delivered exactly once: the SDK saw no duplicate either.
    const stats = await page.evaluate(() => (window as unknown as { odin: { stats: { gaps: number; duplicates: number } } }).odin.stats);
    assert.equal(stats.gaps, 0);
    assert.equal(stats.duplicates, 0);
  });

  it('shows a verified depth ladder for book.BTC, verified again after the socket drops', async () => {
    await page.waitForSelector('#ladder[data-verified="true"]', { timeout: 30_000 });
    await page.waitForFunction(() => document.querySelectorAll('#ladder-rows tr.bid').length === 10 && document.querySelectorAll('#ladder-rows tr.ask').length === 10, undefined, { timeout: 15_000 });
    const book = (): Promise<{ verified: number; mismatches: number; resyncs: number; isVerified: boolean; best: string[] }> =>
      page.evaluate(() => {
        const b = (window as unknown as { odinBook: { stats: { verified: number; mismatches: number; resyncs: number }; verified: boolean; bestBid: string[]; bestAsk: string[] } }).odinBook;
        return { ...b.stats, isVerified: b.verified, best: [b.bestBid[0]!, b.bestAsk[0]!] };
      });
    const before = await book();
    assert.ok(before.verified > 0 && before.isVerified);
    assert.ok(Number(before.best[0]) < Number(before.best[1]), `best bid ${before.best[0]} below best ask ${before.best[1]}`);
    // The first row shown for bids is the best bid (the ladder is the verified book).
    // Read together in the page, and waited for: the book moves 10 times a second, so two separate reads can straddle an update.
    await page.waitForFunction(() => document.querySelector('#ladder-rows tr.bid td.num')?.textContent === (window as unknown as { odinBook: { bestBid: string[] } }).odinBook.bestBid[0], undefined, { timeout: 15_000 });
    await page.click('#drop');
    await page.waitForSelector('#state[data-state="reconnecting"]', { timeout: 5000 });
    await page.waitForSelector('#state[data-state="open"]', { timeout: 30_000 });
    // Verified again: messages after the resume pass the checksum, and the page says so.
    await page.waitForFunction((n) => Number(document.getElementById('book-verified')?.textContent) >= n + 20, before.verified, { timeout: 30_000 });
    await page.waitForSelector('#ladder[data-verified="true"]', { timeout: 5000 });
    const after = await book();
    assert.ok(after.isVerified);
    assert.equal(after.mismatches, 0);
    assert.equal(after.resyncs, 0, 'resumed with every missed book message, not rebuilt');
    assert.equal(await text('#book-mismatches'), '0');
    await page.waitForTimeout(1500);
    // The README's picture is refreshed on request only, so test runs leave the tree clean.
    await page.screenshot({ path: process.env.UPDATE_SCREENSHOT ? 'docs/demo.png' : 'test-results/demo.png' });
    assert.deepEqual(pageErrors, []);
  });
});
