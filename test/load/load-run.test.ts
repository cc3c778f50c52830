// Tiny real runs of `odin load` against a real gateway with a publishing broker:
// the stress run, resume after server-side closes, the realistic simulation,
// and the CLI end to end.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI } from '../helpers/child-process.js';
import { startTestGateway, type GatewayHarness } from '../helpers/gateway-harness.js';
import { runRealistic, healthUrlFor } from '../../src/load/realistic-run.js';
import { runStress } from '../../src/load/stress-run.js';
import type { LoadSummary } from '../../src/load/load-stats.js';

const CHANNELS = ['token.BTC.price', 'token.ETH.price', 'token.SOL.price'];

/** Publishes `perTick` messages on every channel every 10 ms. */
function startPublishing(h: GatewayHarness, perTick = 1): () => void {
  let n = 0;
  const timer = setInterval(() => {
    for (let i = 0; i < perTick; i++) for (const channel of CHANNELS) void h.broker.publish(channel, { type: 'price:update', tokenId: channel, price: n++ });
  }, 10);
  return () => clearInterval(timer);
}

describe('odin load against a real gateway', () => {
  let h: GatewayHarness;
  let stopPublishing: () => void;
  before(async () => {
    h = await startTestGateway();
    stopPublishing = startPublishing(h);
  });
  after(async () => {
    stopPublishing();
    await h.stop();
  });

  it('custom run: every connection opens, messages are counted with latency, no gaps', async () => {
    const summary = await runStress({ mode: 'custom', url: h.url, connections: 20, durationMs: 1500, channels: CHANNELS, rampPerSec: 200, keepaliveMs: 200, reconnectDelayMs: 100 });
    assert.equal(summary.connections.attempted, 20);
    assert.equal(summary.connections.opened, 20);
    assert.equal(summary.connections.failed, 0);
    assert.ok(summary.messages.received > 20 * 3 * 10, `received ${summary.messages.received}`);
    assert.equal(summary.latencyMs.count, summary.messages.received);
    assert.ok(summary.latencyMs.p99 >= summary.latencyMs.p50);
    assert.equal(summary.gaps, 0);
    assert.equal(summary.duplicates, 0);
    assert.ok(summary.keepalives.sent > 0 && summary.keepalives.pongs > 0, 'keepalives answered');
    assert.ok(summary.timeline.length >= 1);
  });

  it('reconnects and resumes without gaps when the server closes clients', async () => {
    const run = runStress({ mode: 'custom', url: h.url, connections: 10, durationMs: 2500, channels: CHANNELS, rampPerSec: 1000, keepaliveMs: 0, reconnectDelayMs: 50 });
    await new Promise((r) => setTimeout(r, 800));
    // Slow-client close: "reconnect at once and resume from the last position: nothing is lost".
    for (const conn of h.gateway.connections) conn.close(4000);
    const summary = await run;
    assert.equal(summary.connections.closesByCode['4000 SLOW_CLIENT'], 10);
    assert.ok(summary.reconnects >= 10, `reconnects ${summary.reconnects}`);
    assert.ok(summary.resumes.recovered >= 10, `recovered ${summary.resumes.recovered}`);
    assert.ok(summary.resumes.replayed > 0, 'missed messages were replayed');
    assert.equal(summary.gaps, 0);
    assert.equal(summary.duplicates, 0);
  });

  it('counts failed connections by error code', async () => {
    const summary = await runStress({ mode: 'custom', url: 'ws://127.0.0.1:1/ws', connections: 3, durationMs: 500, channels: CHANNELS, rampPerSec: 100, keepaliveMs: 0, reconnectDelayMs: 1000 });
    assert.equal(summary.connections.failed, 3);
    assert.equal(summary.connections.errorsByCode.ECONNREFUSED, 3);
  });

  it('realistic simulation: traders come and go, reconnect and resume, target grows with headroom, no gaps', async () => {
    const summary = await runRealistic({
      url: h.url,
      healthUrl: healthUrlFor(h.url),
      target: 20,
      min: 5,
      max: 60,
      durationMs: 300_000,
      timeScale: 0.01,
      channels: CHANNELS,
      keepaliveMs: 500,
    });
    const r = summary.realistic!;
    const started = Object.values(r.sessionsStarted).reduce((a, b) => a + b, 0);
    assert.ok(started > 20, `sessions started ${started}`);
    assert.ok(r.sessionsEnded > 0, 'quick traders ended sessions');
    assert.ok(summary.reconnects > 0 && summary.resumes.recovered > 0, `reconnects ${summary.reconnects}, recovered ${summary.resumes.recovered}`);
    assert.ok(r.decisions.some((d) => d.action === 'grow'), 'grew with headroom');
    assert.ok(summary.connections.peakOpen > 0);
    assert.equal(summary.gaps, 0);
    assert.equal(summary.duplicates, 0);
    assert.ok(summary.keepalives.sent > 0);
  });

  it('CLI: odin load custom writes the JSON summary and the HTML report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'odin-load-'));
    const json = join(dir, 'summary.json');
    const html = join(dir, 'report.html');
    const child = spawn(process.execPath, [CLI, 'load', 'custom', '--url', h.url, '--connections', '20', '--duration', '2', '--channels', CHANNELS.join(','), '--json', json, '--report', html], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0, out);
    assert.match(out, /gaps +0 \(ok\)/);
    const summary = JSON.parse(readFileSync(json, 'utf8')) as LoadSummary;
    assert.equal(summary.connections.opened, 20);
    assert.ok(summary.messages.received > 0);
    assert.equal(summary.gaps, 0);
    assert.match(readFileSync(html, 'utf8'), /<svg /);
  });
});
