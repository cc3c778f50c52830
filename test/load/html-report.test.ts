// The HTML report: self-contained, escaped, with a chart per concern.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { renderHtmlReport } from '../../src/load/html-report.js';
import { LoadStats, summarize } from '../../src/load/load-stats.js';

it('renders a self-contained page with connection, rate, latency and generator charts', () => {
  const stats = new LoadStats();
  stats.attempted = 3;
  stats.connectionOpened();
  stats.recordLive(2);
  stats.recordReplay(1500);
  stats.tick();
  for (let i = 0; i < 20; i++) stats.recordLive(3);
  stats.tick();
  const summary = summarize(stats, 'custom <script>', 'ws://127.0.0.1:1/ws', 3, 1);
  const html = renderHtmlReport(summary);
  assert.match(html, /^<!doctype html>/);
  assert.equal((html.match(/<svg /g) ?? []).length, 4);
  assert.match(html, /Connections/);
  assert.match(html, /This generator: event-loop delay p99/);
  assert.match(html, /Messages received/);
  assert.match(html, /latency/);
  assert.ok(!html.includes('<script>'), 'mode is escaped');
  assert.ok(!/src="http|href="http/.test(html), 'no external assets');
  assert.match(html, /<polyline /);
  // Replay age is its own row, never mixed into live latency; counts say what they count.
  assert.match(html, /live latency p50[^<]*<\/th><td>[^<]*\(21 live messages/);
  assert.match(html, /replay age p50[^<]*<\/th><td>[^<]*\(1 replayed messages/);
  assert.ok(summary.replayAgeMs.p50 >= 1499 && summary.replayAgeMs.max <= 1502, JSON.stringify(summary.replayAgeMs));
  assert.match(html, /reconnects \(connections reopened\)/);
  assert.match(html, /connections resumed \d+ channels/);
  assert.equal(summary.latencyMs.max, 3);
});
