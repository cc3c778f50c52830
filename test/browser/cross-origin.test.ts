// What a web page on another origin can do to Odin, tried in real headless
// Chromium (Debian's): it cannot start, stop or configure the publisher (not
// even holding a stolen token), and it cannot open a WebSocket to a gateway
// with an origin allowlist. Controls: a page on an allowed origin can do
// both, and without an allowlist any page can connect, so these tests see a
// refusal only when there is one. (Before issue 11 such a page stopped the
// publisher and forged trades into a user's private channel.)
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startTestGateway, type GatewayHarness } from '../helpers/gateway-harness.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { startTestPublisher, TEST_CONTROL_TOKEN, type PublisherHarness } from '../publisher/publisher-fixtures.js';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A site that serves one empty page: its origin is all that matters. */
async function site(): Promise<{ origin: string; server: Server }> {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>site</title>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** Opens a WebSocket from the page: 'open' on a welcome, else how it ended. */
function openSocket(page: Page, url: string): Promise<string> {
  return page.evaluate(
    (u) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(u);
        ws.onmessage = (e) => {
          if (String(e.data).includes('"welcome"')) resolve('open');
          ws.close();
        };
        ws.onclose = (e) => resolve(`closed ${e.code}`);
      }),
    url,
  );
}

/** Every way a page may try to drive the control API; each result as the page sees it. */
function attackControl(page: Page, base: string, token: string): Promise<string[]> {
  return page.evaluate(
    async ({ base, token }) => {
      const results: string[] = [];
      const attempt = async (label: string, init: RequestInit): Promise<void> => {
        try {
          const res = await fetch(`${base}/control`, init);
          results.push(`${label}: ${res.type} ${res.status} ${res.type === 'opaque' ? '' : await res.text()}`);
        } catch (err) {
          results.push(`${label}: blocked (${String(err)})`);
        }
      };
      // A simple request (no preflight): what used to stop the publisher.
      await attempt('text/plain stop', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{"action":"stop"}' });
      await attempt('cors text/plain stop', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"action":"stop"}' });
      // JSON with a stolen token: needs a preflight, which a foreign origin fails.
      await attempt('json configure with token', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ action: 'configure', users: ['dave'], tradeEventsPerSecond: 1000 }),
      });
      await attempt('json start', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"action":"start","messagesPerSecond":100000}' });
      return results;
    },
    { base, token },
  );
}

describe('a page on another origin, in headless Chromium', () => {
  let profile: string;
  let context: BrowserContext;
  let page: Page;
  let allowedSite: { origin: string; server: Server };
  let evilSite: { origin: string; server: Server };
  let guarded: GatewayHarness;
  let open: GatewayHarness;
  let publisher: PublisherHarness;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (bash .ci/install-system-deps.sh) or set CHROMIUM_BIN`);
    allowedSite = await site();
    evilSite = await site();
    guarded = await startTestGateway({ allowedOrigins: [allowedSite.origin] });
    open = await startTestGateway();
    publisher = await startTestPublisher({ messagesPerSecond: 10 }, [allowedSite.origin]);
    publisher.publisher.service.start();
    profile = await mkdtemp(join(tmpdir(), 'odin-chromium-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    page = context.pages()[0] ?? (await context.newPage());
  });

  after(async () => {
    await context?.close();
    await publisher?.stop();
    await guarded?.stop();
    await open?.stop();
    for (const s of [allowedSite, evilSite]) s?.server.close();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it('cannot start, stop or configure the publisher, not even with a stolen token', async () => {
    await page.goto(`${evilSite.origin}/`);
    const before = metricValue(await fetchMetrics(publisher.baseUrl), 'publisher_control_refused_total', { reason: 'origin' });
    const config = JSON.stringify(publisher.publisher.service.configuration);
    const results = await attackControl(page, publisher.baseUrl, TEST_CONTROL_TOKEN);
    // Nothing the page can read, and nothing changed.
    assert.equal(results.length, 4);
    for (const r of results) assert.ok(/opaque 0|blocked/.test(r), r);
    assert.equal(publisher.publisher.service.isPublishing, true);
    assert.equal(JSON.stringify(publisher.publisher.service.configuration), config);
    // The simple requests did reach the server, and were refused there for their origin.
    const after = metricValue(await fetchMetrics(publisher.baseUrl), 'publisher_control_refused_total', { reason: 'origin' });
    assert.ok(after - before >= 2, `${after - before} refused for their origin`);
  });

  it('control: a page on an allowed origin, with the token, can configure it', async () => {
    await page.goto(`${allowedSite.origin}/`);
    const status = await page.evaluate(
      async ({ base, token }) => {
        const res = await fetch(`${base}/control`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{"action":"configure","messagesPerSecond":7}' });
        return `${res.status} ${((await res.json()) as { success: boolean }).success}`;
      },
      { base: publisher.baseUrl, token: TEST_CONTROL_TOKEN },
    );
    assert.equal(status, '200 true');
    assert.equal(publisher.publisher.service.configuration.messagesPerSecond, 7);
  });

  it('cannot open a WebSocket to a gateway with an origin allowlist; an allowed page can', async () => {
    await page.goto(`${evilSite.origin}/`);
    assert.equal(await openSocket(page, guarded.url), 'closed 1006');
    assert.equal(metricValue(await fetchMetrics(guarded.httpUrl), 'ws_connections_failed_total', { reason: 'origin' }), 1);
    // Control: without an allowlist the same page connects.
    assert.equal(await openSocket(page, open.url), 'open');
    await page.goto(`${allowedSite.origin}/`);
    assert.equal(await openSocket(page, guarded.url), 'open');
  });
});
