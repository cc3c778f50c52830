// `odin load --protocol reference`: the reference's clients (never subscribe,
// one message per frame, gaps judged by the per-connection seq) against a
// gateway with default channels.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfigFrom } from '../../src/config/load-options.js';
import { runStress } from '../../src/load/stress-run.js';
import type { LoadStats, TimelinePoint } from '../../src/load/load-stats.js';
import { startTestGateway } from '../helpers/gateway-harness.js';

const CHANNELS = ['token.BTC.price', 'token.ETH.price'];

test('reference-protocol load clients receive the default channels with contiguous seqs and heartbeats answered', async () => {
  const h = await startTestGateway({ defaultChannels: 'token.*.price' });
  let n = 0;
  const timer = setInterval(() => {
    for (const channel of CHANNELS) void h.broker.publish(channel, { type: 'price:update', tokenId: channel, price: n++ });
  }, 10);
  try {
    const config = loadConfigFrom(['custom', '--protocol', 'reference', '--url', h.url]);
    assert.match(config.url, /[?&]protocol=reference/);
    const abort = new AbortController();
    const onProgress = (_p: TimelinePoint, stats: LoadStats): void => void (stats.opened >= 10 && stats.messages > 10 * 2 * 20 && stats.pongs > 0 && abort.abort());
    const summary = await runStress({ mode: 'custom', url: config.url, connections: 10, durationMs: 60_000, channels: CHANNELS, rampPerSec: 200, keepaliveMs: 100, reconnectDelayMs: 100, signal: abort.signal, onProgress });
    console.log(`reference load: ${JSON.stringify({ opened: summary.connections.opened, received: summary.messages.received, gaps: summary.gaps, duplicates: summary.duplicates })}`);
    assert.equal(summary.connections.opened, 10);
    assert.ok(summary.messages.received > 10 * 2 * 20, `received ${summary.messages.received}`);
    assert.equal(summary.gaps, 0);
    assert.equal(summary.duplicates, 0);
  } finally {
    clearInterval(timer);
    await h.stop();
  }
});
