// The SDK the ways docs/client.md loads it in a browser, in real headless
// Chromium (Debian's): a page bundled with esbuild from the *installed*
// package (npm pack + install, as an app would), served from its own origin,
// receives every message in order; and a page on another origin imports the
// unbundled SDK from the gateway's /sdk/ with <script type="module">, which
// the gateway allows (CORS) for its --allowed-origins and no others.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import { chromium, type BrowserContext } from 'playwright-core';
import { startTestGateway, type GatewayHarness } from '../helpers/gateway-harness.js';
import { installClientPackage } from '../helpers/installed-client.js';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The app's page: subscribes, says when it is ready, counts what arrives and any gap. */
const APP_ENTRY = `
import { OdinClient } from '@odin-gateway/client';
const ws = new URLSearchParams(location.search).get('ws');
const client = new OdinClient({ url: ws });
const seqs = [];
client.on('gap', () => { document.body.dataset.gaps = String(Number(document.body.dataset.gaps ?? 0) + 1); });
const sub = client.subscribe('token.*.price', (tick, message) => {
  seqs.push(message.seq);
  document.body.dataset.count = String(seqs.length);
  document.body.dataset.last = tick.tokenId + ' ' + tick.price;
});
await client.connect();
await sub.ready;
document.body.dataset.ready = 'yes';
`;

/** A static site on its own origin: files from `dir` (or one inline page). */
async function site(files: Record<string, string>): Promise<{ origin: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const body = files[path];
    if (body === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': path.endsWith('.js') ? 'text/javascript' : 'text/html' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const closeServer = (s: Server | undefined): Promise<void> => new Promise((resolve) => (s ? s.close(() => resolve()) : resolve()));

describe('the SDK in a browser: bundled from the installed package, and from /sdk/ on another origin', () => {
  let gw: GatewayHarness;
  let profile: string;
  let context: BrowserContext;
  let appDir: string;
  const servers: Server[] = [];

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (bash .ci/install-system-deps.sh) or set CHROMIUM_BIN`);
    gw = await startTestGateway();
    appDir = await installClientPackage();
    profile = await mkdtemp(join(tmpdir(), 'odin-chromium-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  });

  after(async () => {
    await context?.close();
    for (const s of servers) await closeServer(s);
    await gw?.stop();
    for (const dir of [profile, appDir]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a page bundled with esbuild from the installed package connects, subscribes and gets every message in order', async () => {
    await mkdir(join(appDir, 'src'));
    await writeFile(join(appDir, 'src', 'main.js'), APP_ENTRY);
    // platform 'browser': a Node built-in anywhere in the SDK would fail the bundle.
    const result = await build({ absWorkingDir: appDir, entryPoints: ['src/main.js'], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', outfile: 'dist/app.js', logLevel: 'silent' });
    assert.deepEqual(result.errors, []);
    const bundle = await readFile(join(appDir, 'dist', 'app.js'), 'utf8');
    assert.match(bundle, /var OdinClient = class extends TypedEmitter/, 'the SDK is inside the bundle');
    const { origin, server } = await site({ '/': '<!doctype html><title>app</title><script type="module" src="/app.js"></script>', '/app.js': bundle });
    servers.push(server);

    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${origin}/?ws=${encodeURIComponent(gw.url)}`);
    await page.waitForSelector('body[data-ready="yes"]', { state: 'attached', timeout: 30_000 });
    const count = 20;
    for (let i = 0; i < count; i++) await gw.broker.publish('token.BTC.price', { tokenId: 'BTC', price: 100 + i, priceChange24h: 0, volume24h: 0, timestamp: Date.now() });
    await page.waitForSelector(`body[data-count="${count}"]`, { state: 'attached', timeout: 30_000 });
    assert.equal(await page.getAttribute('body', 'data-last'), `BTC ${100 + count - 1}`);
    assert.equal(await page.getAttribute('body', 'data-gaps'), null, 'no gap');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('a page on another origin imports /sdk/odin-client.js with <script type="module"> (CORS: any origin without an allowlist)', async () => {
    const page = await context.newPage();
    const { origin, server } = await site({ '/': '<!doctype html><title>other</title>' });
    servers.push(server);
    await page.goto(`${origin}/`);
    const loaded = await page.evaluate(async (sdk) => {
      const m = (await import(sdk)) as { OdinClient?: unknown; CloseCode?: Record<string, number> };
      return { client: typeof m.OdinClient, shutdown: m.CloseCode?.SERVER_SHUTDOWN };
    }, `${gw.httpUrl}/sdk/odin-client.js`);
    assert.deepEqual(loaded, { client: 'function', shutdown: 1001 }, 'the SDK and the protocol modules it imports from /protocol/ loaded');
    await page.close();
  });
});

describe('/sdk/ CORS with --allowed-origins', () => {
  let gw: GatewayHarness;
  let profile: string;
  let context: BrowserContext;
  const servers: Server[] = [];

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing`);
    profile = await mkdtemp(join(tmpdir(), 'odin-chromium-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  });

  after(async () => {
    await context?.close();
    for (const s of servers) await closeServer(s);
    await gw?.stop();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it('an allowed origin imports the SDK and connects with it; another origin cannot import it', async () => {
    const allowed = await site({ '/': '<!doctype html><title>allowed</title>' });
    const other = await site({ '/': '<!doctype html><title>other</title>' });
    servers.push(allowed.server, other.server);
    gw = await startTestGateway({ allowedOrigins: [allowed.origin] });
    const sdk = `${gw.httpUrl}/sdk/odin-client.js`;

    const page = await context.newPage();
    await page.goto(`${allowed.origin}/`);
    const session = await page.evaluate(
      async ({ sdk, ws }) => {
        const { OdinClient } = (await import(sdk)) as { OdinClient: new (o: { url: string }) => { connect(): Promise<unknown>; session: string | null; close(): void } };
        const client = new OdinClient({ url: ws });
        await client.connect();
        const s = client.session;
        client.close();
        return s;
      },
      { sdk, ws: gw.url },
    );
    assert.match(String(session), /\S/, 'connected with the SDK it imported');

    const refused = await context.newPage();
    await refused.goto(`${other.origin}/`);
    const outcome = await refused.evaluate(async (u) => {
      try {
        await import(u);
        return 'imported';
      } catch (err) {
        return `refused: ${String(err)}`;
      }
    }, sdk);
    assert.match(outcome, /^refused/);

    // The headers themselves: an allowed origin is named, others get none.
    const withOrigin = async (origin: string): Promise<string | null> => (await fetch(sdk, { headers: { origin } })).headers.get('access-control-allow-origin');
    assert.equal(await withOrigin(allowed.origin), allowed.origin);
    assert.equal(await withOrigin(other.origin), null);
    assert.equal((await fetch(`${gw.httpUrl}/`, { headers: { origin: allowed.origin } })).headers.get('access-control-allow-origin'), null, 'the page itself is not shared');
  });
});
