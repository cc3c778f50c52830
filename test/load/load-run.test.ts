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
import type { LoadStats, LoadSummary, TimelinePoint } from '../../src/load/load-stats.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';

const CHANNELS = ['token.BTC.price', 'token.ETH.price', 'token.SOL.price'];

/** Stops a run at the first progress tick (once a second) where `done` holds. */
function until(done: (stats: LoadStats) => boolean): { signal: AbortSignal; onProgress: (point: TimelinePoint, stats: LoadStats) => void } {
  const abort = new AbortController();
  return { signal: abort.signal, onProgress: (_point, stats) => void (done(stats) && abort.abort()) };
}

async function waitUntil(ok: () => boolean): Promise<void> {
  while (!ok()) await new Promise((r) => setTimeout(r, 20));
}

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
    // Runs until every connection opened and messages and pongs came (a positive marker, however busy the machine), at most 60 s.
    const stop = until((stats) => stats.opened >= 20 && stats.messages > 20 * 3 * 10 && stats.pongs > 0);
    const summary = await runStress({ mode: 'custom', url: h.url, connections: 20, durationMs: 60_000, channels: CHANNELS, rampPerSec: 200, keepaliveMs: 200, reconnectDelayMs: 100, ...stop });
    assert.equal(summary.connections.attempted, 20);
    assert.equal(summary.connections.opened, 20);
    assert.equal(summary.connections.failed, 0);
    assert.ok(summary.messages.received > 20 * 3 * 10, `received ${summary.messages.received}`);
    // Fresh subscriptions get no replay: every message is live and has a latency.
    assert.equal(summary.messages.replayed, 0);
    assert.equal(summary.latencyMs.count, summary.messages.received);
    assert.ok(summary.latencyMs.p99 >= summary.latencyMs.p50);
    assert.equal(summary.gaps, 0);
    assert.equal(summary.duplicates, 0);
    assert.ok(summary.keepalives.sent > 0 && summary.keepalives.pongs > 0, 'keepalives answered');
    assert.ok(summary.timeline.length >= 1);
  });

  it('reconnects and resumes without gaps when the server closes clients; replay age is kept out of live latency', async () => {
    // Clients wait 200-600 ms before coming back, so what they missed is replayed at least ~200 ms old.
    const run = runStress({ mode: 'custom', url: h.url, connections: 10, durationMs: 3000, channels: CHANNELS, rampPerSec: 1000, keepaliveMs: 0, reconnectDelayMs: 400 });
    await waitUntil(() => h.gateway.connections.size === 10);
    await new Promise((r) => setTimeout(r, 300));
    // Slow-client close: "reconnect at once and resume from the last position: nothing is lost".
    for (const conn of h.gateway.connections) conn.close(4000);
    const summary = await run;
    assert.equal(summary.connections.closesByCode['4000 SLOW_CLIENT'], 10);
    assert.ok(summary.reconnects >= 10, `reconnects ${summary.reconnects}`);
    // Units: connections that resumed vs the channels they resumed (3 each), each channel answered.
    assert.equal(summary.resumes.connections, summary.reconnects);
    assert.ok(summary.resumes.channels > summary.resumes.connections && summary.resumes.channels <= summary.resumes.connections * CHANNELS.length, JSON.stringify(summary.resumes));
    assert.equal(summary.resumes.recovered + summary.resumes.notRecovered, summary.resumes.channels);
    assert.ok(summary.resumes.recovered >= 10, `recovered ${summary.resumes.recovered}`);
    assert.ok(summary.resumes.replayed > 0, 'missed messages were replayed');
    // Exactly the messages the server says it replayed (those before `subscribed`) are replay, and none of them is in live latency.
    assert.equal(summary.messages.replayed, summary.resumes.replayed);
    assert.equal(summary.replayAgeMs.count, summary.messages.replayed);
    assert.equal(summary.latencyMs.count, summary.messages.live);
    assert.equal(summary.messages.live + summary.messages.replayed, summary.messages.received);
    assert.ok(summary.replayAgeMs.max >= 150, `the oldest replayed message waited out the reconnect delay: ${JSON.stringify(summary.replayAgeMs)}`);
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
      // Until traders came back and resumed (a positive marker), at most 60 s.
      durationMs: 60_000,
      timeScale: 0.01,
      channels: CHANNELS,
      keepaliveMs: 500,
      // The gateway runs in this process: its work is on the generator's event loop (the busy-generator rule has its unit test).
      balanceOnGenerator: false,
      ...until((stats) => stats.attempted > 20 && stats.reconnects > 0 && stats.resumesRecovered > 0 && stats.keepalivesSent > 0),
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

  it('a generator whose event loop is blocked flags the seconds it was busy and the latency taken in them ("generator busy"), and keeps the latency of the other seconds apart', async () => {
    let blocked = 0;
    let calmAfter = 0;
    const abort = new AbortController();
    // The marker: messages flowing; then the loop is blocked 1.2 s twice (longer than the 1 s tick, so the next tick comes
    // right after it and its second is mostly blocked, however late the machine runs it), then three more ticks.
    const onProgress = (_point: TimelinePoint, stats: LoadStats): void => {
      if (stats.messages === 0) return;
      if (blocked < 2) {
        blocked++;
        const until = performance.now() + 1200;
        while (performance.now() < until) {
          // Busy on purpose: this is the generator being the bottleneck.
        }
        return;
      }
      if (++calmAfter >= 3 && stats.busySeconds >= 1) abort.abort();
    };
    const summary = await runStress({ mode: 'custom', url: h.url, connections: 5, durationMs: 60_000, channels: CHANNELS, rampPerSec: 200, keepaliveMs: 0, reconnectDelayMs: 100, signal: abort.signal, onProgress });
    const g = summary.generator;
    assert.ok(g.delayMaxMs >= 1000, `the blocked loop shows in the delay: ${JSON.stringify(g)}`);
    assert.ok(g.busy && g.busySeconds >= 1, `busy seconds: ${g.busySeconds}`);
    assert.ok(summary.timeline.some((p) => p.generatorBusy), `the busy second is flagged in the timeline: ${JSON.stringify(summary.timeline.map((p) => [p.loopUtilization, p.loopDelayP99Ms]))}`);
    assert.match(g.flag ?? '', /^generator busy \d+ of \d+ s: \d+ of \d+ live latencies were taken in or right after a busy second and include the generator's own queueing$/);
    assert.ok(g.liveWhileBusy > 0, 'messages delayed by the block (read in its second or the next) are counted apart');
    // Messages read while the clients close (after the last second) are in the total only.
    assert.ok(g.latencyMsNotBusy.count + g.liveWhileBusy <= summary.latencyMs.count && g.latencyMsNotBusy.count > 0, 'a live latency is in a busy or a calm second');
    const { summaryText } = await import('../../src/load/console-report.js');
    const text = summaryText(summary);
    assert.match(text, /latency ms .*\[generator busy \d+ of \d+ s/);
    assert.match(text, /not busy ms +p50 /);
    const { renderHtmlReport } = await import('../../src/load/html-report.js');
    assert.match(renderHtmlReport(summary), /generator busy \d+ of \d+ s: /);
  });

  it('CLI: realistic --duration 10 --time-scale 0.05 --quiet --report runs about 10 s and draws a point per second', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'odin-load-'));
    const json = join(dir, 'summary.json');
    const html = join(dir, 'report.html');
    const args = ['load', 'realistic', '--url', h.url, '--target', '10', '--min', '2', '--max', '20', '--duration', '10', '--time-scale', '0.05', '--channels', CHANNELS.join(','), '--quiet', '--json', json, '--report', html];
    const started = Date.now();
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    const wallSec = (Date.now() - started) / 1000;
    assert.equal(code, 0, out + err);
    assert.doesNotMatch(err, /t=\d+s/, '--quiet prints no progress');
    const summary = JSON.parse(readFileSync(json, 'utf8')) as LoadSummary;
    // A duration the user asked for, in wall-clock seconds; not a speed claim, so the bounds are wide.
    assert.ok(summary.durationSec >= 8 && summary.durationSec <= 20, `ran ${summary.durationSec} s`);
    assert.ok(wallSec >= 8, `process ran ${wallSec} s`);
    // One point per second even without a progress callback (plus the final one).
    assert.ok(summary.timeline.length >= 8, `timeline has ${summary.timeline.length} points`);
    // t has 0.1 s resolution: the final point (taken at the stop) may fall in the
    // same 100 ms as the last per-second one on a busy machine, so equal is allowed.
    for (let i = 1; i < summary.timeline.length; i++) assert.ok(summary.timeline[i]!.t >= summary.timeline[i - 1]!.t, `time never goes back: ${summary.timeline[i - 1]!.t} then ${summary.timeline[i]!.t}`);
    const page = readFileSync(html, 'utf8');
    const lines = [...page.matchAll(/<polyline [^>]*points="([^"]*)"/g)].map((m) => m[1]!.split(' ').length);
    assert.ok(lines.length >= 3, 'the charts have lines');
    for (const n of lines) assert.equal(n, summary.timeline.length, 'every chart line has a point per timeline second');
    assert.equal(summary.gaps, 0);
  });

  it('CLI: odin load custom prints progress, stops cleanly on Ctrl-C and writes the JSON summary and the HTML report', { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'odin-load-'));
    const json = join(dir, 'summary.json');
    const html = join(dir, 'report.html');
    const child = spawn(process.execPath, [CLI, 'load', 'custom', '--url', h.url, '--connections', '20', '--duration', '60', '--channels', CHANNELS.join(','), '--json', json, '--report', html], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    // The progress line (one a second when stderr is not a terminal) is the marker: all open and live messages flowing.
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      if (/open=20 .*live msg\/s=[1-9]/.test(err) && child.exitCode === null) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.match(err, /t=\d+s open=20 attempted=20 failed=0 live msg\/s=\d+ replayed\/s=\d+ live p50=/);
    assert.equal(code, 0, out);
    assert.match(out, /gaps +0 \(ok\)/);
    // The generator measures itself: the progress line, the summary, the JSON and the HTML report carry its event loop.
    assert.match(err, /loop=\d+%\/[\d.]+ms/);
    assert.match(out, /generator +event loop busy \d+%, delay p50 [\d.]+ ms p99 [\d.]+ ms max [\d.]+ ms; busy \d+ of \d+ s/);
    const summary = JSON.parse(readFileSync(json, 'utf8')) as LoadSummary;
    assert.equal(summary.connections.opened, 20);
    assert.ok(summary.messages.received > 0);
    assert.equal(summary.gaps, 0);
    const g = summary.generator;
    assert.ok(g.utilization > 0 && g.utilization <= 1, `utilization ${g.utilization}`);
    assert.ok(g.delayMaxMs >= g.delayP99Ms && g.delayP99Ms >= g.delayP50Ms && g.delayP50Ms >= 0, JSON.stringify(g));
    assert.equal(g.seconds, summary.timeline.length);
    assert.equal(g.busy, g.busySeconds > 0);
    assert.ok(summary.timeline.every((p) => typeof p.loopDelayP99Ms === 'number' && typeof p.generatorBusy === 'boolean'));
    const page = readFileSync(html, 'utf8');
    assert.match(page, /<svg /);
    assert.match(page, /generator event loop: busy \/ delay p50 \/ p99 \/ max<\/th><td>\d+% \/ [\d.]+ \/ [\d.]+ \/ [\d.]+ ms/);
  });
});

describe('odin load --compression on', () => {
  it('offers permessage-deflate as browsers do: compressed batches arrive, inflate, and continuity holds', async () => {
    // Every frame compressed (minimum 0), so even lone messages test the client's inflate.
    const h = await startTestGateway({ compressionMinBytes: 0 });
    const stopPublishing = startPublishing(h, 3);
    try {
      const stop = until((stats) => stats.opened >= 10 && stats.messages > 10 * 3 * 30);
      const summary = await runStress({ mode: 'custom', url: h.url, connections: 10, durationMs: 60_000, channels: CHANNELS, rampPerSec: 200, keepaliveMs: 0, reconnectDelayMs: 100, compression: true, ...stop });
      assert.equal(summary.connections.opened, 10);
      assert.ok(summary.messages.received > 10 * 3 * 30, `received ${summary.messages.received}`);
      assert.equal(summary.gaps, 0);
      assert.equal(summary.duplicates, 0);
      const metrics = await fetchMetrics(h.httpUrl);
      const wire = metricValue(metrics, 'ws_bytes_sent_total');
      const plain = metricValue(metrics, 'ws_bytes_sent_uncompressed_total');
      assert.ok(wire < plain * 0.8, `the clients got compressed frames: ${wire} bytes on the wire for ${plain} uncompressed`);
    } finally {
      stopPublishing();
      await h.stop();
    }
  });
});
