// Server-Sent Events in real headless Chromium (Debian's): a native
// EventSource on /sse, the server drops the stream twice, the browser
// reconnects by itself with Last-Event-ID, and the page ends with every
// published message exactly once, in order: 0 gaps.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import type { MemoryBroker } from '../../src/broker/broker-memory.js';
import { startTestGateway } from '../helpers/gateway-harness.js';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const CHANNELS = ['token.AAA.price', 'token.BBB.price'];

interface PageState {
  seqs: Record<string, number[]>;
  replaying: boolean[];
  opens: number;
  lastEventId: string;
}

test('EventSource in Chromium: the server drops the stream twice, the browser reconnects natively with Last-Event-ID, 0 gaps', { timeout: 120_000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (bash .ci/install-system-deps.sh) or set CHROMIUM_BIN`);
  const gw = await startTestGateway();
  const broker = gw.broker as MemoryBroker;
  const published = new Map<string, number[]>(CHANNELS.map((c) => [c, []]));
  broker.onMessage((m) => published.get(m.channel)?.push(m.seq));
  let n = 0;
  const publishing = setInterval(() => {
    for (const channel of CHANNELS) broker.publishNow(channel, { type: 'price:update', n: ++n });
  }, 20);
  const profile = await mkdtemp(join(tmpdir(), 'odin-chromium-sse-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${gw.httpUrl}/health`);
    await page.evaluate((channels) => {
      const state = { seqs: {} as Record<string, number[]>, replaying: [] as boolean[], opens: 0, lastEventId: '' };
      (window as unknown as { sseState: typeof state }).sseState = state;
      const es = new EventSource(`/sse?channels=${channels.join(',')}`);
      es.onopen = () => state.opens++;
      es.addEventListener('message', (e) => {
        const m = JSON.parse(e.data) as { channel: string; seq: number };
        (state.seqs[m.channel] ??= []).push(m.seq);
        state.lastEventId = e.lastEventId;
      });
      es.addEventListener('replaying', (e) => state.replaying.push((JSON.parse((e as MessageEvent<string>).data) as { recovered: boolean }).recovered));
    }, CHANNELS);
    const state = (): Promise<PageState> => page.evaluate(() => (window as unknown as { sseState: PageState }).sseState);
    const received = async (): Promise<number> => Object.values((await state()).seqs).reduce((k, s) => k + s.length, 0);
    const waitUntil = async (condition: () => Promise<boolean>, what: string): Promise<void> => {
      const deadline = Date.now() + 30_000;
      while (!(await condition())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify({ opens: (await state()).opens, replaying: (await state()).replaying })}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    for (let drop = 1; drop <= 2; drop++) {
      const before = await received();
      await waitUntil(async () => (await received()) >= before + 50, `traffic before drop ${drop}`);
      // The server side drops the stream (as a restart or a network cut would).
      for (const conn of gw.gateway.connections) if (conn.sse) conn.terminate();
      await waitUntil(async () => (await state()).replaying.length >= CHANNELS.length * drop, `native reconnect ${drop} with Last-Event-ID`);
    }
    const after = await received();
    await waitUntil(async () => (await received()) >= after + 50, 'traffic after the last reconnect');
    clearInterval(publishing);
    // Publishing began before the page subscribed: what it must get starts at its first message.
    const first = (await state()).seqs;
    const expected = new Map(CHANNELS.map((c) => [c, published.get(c)!.filter((seq) => seq >= first[c]![0]!)]));
    const total = [...expected.values()].reduce((k, s) => k + s.length, 0);
    await waitUntil(async () => (await received()) >= total, `all ${total} messages`);
    const final = await state();
    assert.equal(final.opens, 3, 'the browser opened the stream three times (two native reconnects)');
    assert.ok(final.replaying.every((r) => r), 'every reconnect resumed with recovered: true');
    for (const channel of CHANNELS) assert.deepEqual(final.seqs[channel], expected.get(channel), `${channel}: every message exactly once, in order`);
    assert.match(final.lastEventId, /^[0-9a-z]+-[0-9a-z]+@\S+$/);
  } finally {
    clearInterval(publishing);
    await context.close();
    await gw.stop();
    await rm(profile, { recursive: true, force: true });
  }
});
