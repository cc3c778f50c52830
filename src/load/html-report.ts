// `--report FILE.html`: one self-contained page (no scripts, no external
// assets) with the summary and inline-SVG charts of connections, message
// rate and latency over time.
import type { LoadSummary, TimelinePoint } from './load-stats.js';

interface Series {
  name: string;
  color: string;
  values: number[];
}

const W = 720;
const H = 220;
const PAD = { left: 60, right: 16, top: 16, bottom: 32 };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

/** An SVG line chart of several series over the timeline's `t` (seconds). */
export function lineChart(title: string, unit: string, t: readonly number[], series: readonly Series[]): string {
  const maxT = Math.max(1, ...t);
  const maxV = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const x = (v: number): number => PAD.left + (v / maxT) * (W - PAD.left - PAD.right);
  const y = (v: number): number => H - PAD.bottom - (v / maxV) * (H - PAD.top - PAD.bottom);
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const v = maxV * f;
      return `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${PAD.left - 6}" y="${y(v) + 4}" text-anchor="end">${formatNumber(v)}</text>`;
    })
    .join('');
  const lines = series
    .map((s) => {
      const points = s.values.map((v, i) => `${x(t[i] ?? 0).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
      return `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${points}"><title>${escapeHtml(s.name)}</title></polyline>`;
    })
    .join('');
  const legend = series.map((s, i) => `<text x="${PAD.left + 10 + i * 150}" y="${H - 6}" fill="${s.color}">■ ${escapeHtml(s.name)}</text>`).join('');
  return (
    `<figure><figcaption>${escapeHtml(title)} (${escapeHtml(unit)})</figcaption>` +
    `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-size="11" font-family="sans-serif" role="img" aria-label="${escapeHtml(title)}">` +
    `${grid}<text x="${W - PAD.right}" y="${H - PAD.bottom + 14}" text-anchor="end">${formatNumber(maxT)} s</text>${lines}${legend}</svg></figure>`
  );
}

function formatNumber(v: number): string {
  if (v >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (v >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return `${+v.toFixed(2)}`;
}

function row(name: string, value: string | number): string {
  return `<tr><th>${escapeHtml(name)}</th><td>${escapeHtml(String(value))}</td></tr>`;
}

export function renderHtmlReport(summary: LoadSummary): string {
  const tl: readonly TimelinePoint[] = summary.timeline;
  const t = tl.map((p) => p.t);
  const c = summary.connections;
  const l = summary.latencyMs;
  const a = summary.replayAgeMs;
  const r = summary.resumes;
  const g = summary.generator;
  const connectionSeries: Series[] = [
    { name: 'open', color: '#1f77b4', values: tl.map((p) => p.open) },
    { name: 'failed (total)', color: '#d62728', values: tl.map((p) => p.failed) },
  ];
  if (tl.some((p) => p.target !== undefined)) connectionSeries.push({ name: 'target', color: '#7f7f7f', values: tl.map((p) => p.target ?? 0) });
  const rows = [
    row('mode', summary.mode),
    row('gateway', summary.url),
    row('started', summary.startedAt),
    row('duration', `${summary.durationSec} s`),
    row('connections attempted / opened / failed', `${c.attempted} / ${c.opened} / ${c.failed}`),
    row('peak open', c.peakOpen),
    row('errors by code', JSON.stringify(c.errorsByCode)),
    row('closes by the server', JSON.stringify(c.closesByCode)),
    row('messages received: live / replayed', `${summary.messages.received}: ${summary.messages.live} / ${summary.messages.replayed} (${summary.messages.perSec}/s)`),
    row('live latency p50 / p90 / p99 / p99.9 / max', `${l.p50} / ${l.p90} / ${l.p99} / ${l.p999} / ${l.max} ms (${l.count} live messages, publish to receive)${g.flag ? ` [${g.flag}]` : ''}`),
    ...(g.busy
      ? [row('live latency while the generator was not busy', `${g.latencyMsNotBusy.p50} / ${g.latencyMsNotBusy.p90} / ${g.latencyMsNotBusy.p99} / ${g.latencyMsNotBusy.p999} / ${g.latencyMsNotBusy.max} ms (${g.latencyMsNotBusy.count} live messages)`)]
      : []),
    row('replay age p50 / p90 / p99 / max', `${a.p50} / ${a.p90} / ${a.p99} / ${a.max} ms (${a.count} replayed messages, how old on arrival; not latency)`),
    row('gaps (must be 0)', summary.gaps),
    row('duplicates (must be 0)', summary.duplicates),
    row('reconnects (connections reopened)', summary.reconnects),
    row('resumes: connections / channels', `${r.connections} connections resumed ${r.channels} channels`),
    row('resumed channels recovered / not recovered', `${r.recovered} / ${r.notRecovered} channels; ${r.replayed} messages replayed`),
    row('keepalives sent / pongs', `${summary.keepalives.sent} / ${summary.keepalives.pongs}`),
    row('generator event loop: busy / delay p50 / p99 / max', `${Math.round(g.utilization * 100)}% / ${g.delayP50Ms} / ${g.delayP99Ms} / ${g.delayMaxMs} ms`),
    row('generator busy seconds', `${g.busySeconds} of ${g.seconds}${g.busy ? ' (generator busy: its latency figures include its own queueing)' : ''}`),
  ];
  if (summary.realistic) {
    const r = summary.realistic;
    rows.push(row('time scale', r.timeScale), row('final target', r.finalTarget), row('sessions started', JSON.stringify(r.sessionsStarted)), row('balancing decisions', r.decisions.length));
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Odin load report: ${escapeHtml(summary.mode)}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:780px}th{text-align:left;padding-right:1em;font-weight:normal;color:#555}td{font-family:monospace}figure{margin:1.5em 0}figcaption{font-weight:bold}</style>
</head><body>
<h1>Odin load report: ${escapeHtml(summary.mode)}</h1>
<table>${rows.join('\n')}</table>
${lineChart('Connections', 'count', t, connectionSeries)}
${lineChart('Messages received', 'per second', t, [
  { name: 'live/s', color: '#2ca02c', values: tl.map((p) => p.messagesPerSec) },
  { name: 'replayed/s', color: '#9467bd', values: tl.map((p) => p.replayedPerSec) },
])}
${lineChart('Live publish-to-receive latency (replay excluded)', 'ms', t, [
  { name: 'p50', color: '#1f77b4', values: tl.map((p) => p.p50) },
  { name: 'p99', color: '#ff7f0e', values: tl.map((p) => p.p99) },
])}
${lineChart('This generator: event-loop delay p99 (a busy second is flagged at the top)', 'ms', t, [
  { name: 'delay p99', color: '#8c564b', values: tl.map((p) => p.loopDelayP99Ms) },
  { name: 'busy (flag)', color: '#d62728', values: tl.map((p) => (p.generatorBusy ? Math.max(1, ...tl.map((q) => q.loopDelayP99Ms)) : 0)) },
])}
</body></html>
`;
}
