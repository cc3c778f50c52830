// The HTML report: self-contained, escaped, with a chart per concern.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { renderHtmlReport } from '../../src/load/html-report.js';
import { LoadStats, summarize } from '../../src/load/load-stats.js';

it('renders a self-contained page with connection, rate and latency charts', () => {
  const stats = new LoadStats();
  stats.attempted = 3;
  stats.connectionOpened();
  stats.messages = 10;
  stats.recordLatency(2);
  stats.tick();
  stats.messages = 30;
  stats.tick();
  const summary = summarize(stats, 'custom <script>', 'ws://127.0.0.1:1/ws', 3, 1);
  const html = renderHtmlReport(summary);
  assert.match(html, /^<!doctype html>/);
  assert.equal((html.match(/<svg /g) ?? []).length, 3);
  assert.match(html, /Connections/);
  assert.match(html, /Messages received/);
  assert.match(html, /latency/);
  assert.ok(!html.includes('<script>'), 'mode is escaped');
  assert.ok(!/src="http|href="http/.test(html), 'no external assets');
  assert.match(html, /<polyline /);
});
