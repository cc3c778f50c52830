// What `odin load` prints: a live progress line on stderr and the final summary on stdout.
import type { LoadStats, LoadSummary, TimelinePoint } from './load-stats.js';

export function progressLine(point: TimelinePoint, stats: LoadStats): string {
  return (
    `t=${point.t.toFixed(0)}s open=${point.open}${point.target !== undefined ? `/${point.target}` : ''} ` +
    `attempted=${stats.attempted} failed=${stats.failed} live msg/s=${point.messagesPerSec} replayed/s=${point.replayedPerSec} ` +
    `live p50=${point.p50}ms p99=${point.p99}ms gaps=${stats.gaps} reconnects=${stats.reconnects} ` +
    `loop=${Math.round(point.loopUtilization * 100)}%/${point.loopDelayP99Ms}ms${point.generatorBusy ? ' GENERATOR BUSY' : ''}`
  );
}

/** Rewrites one terminal line in place (or prints a line per second when not a TTY). */
export function printProgress(point: TimelinePoint, stats: LoadStats): void {
  const line = progressLine(point, stats);
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${line}`);
  else process.stderr.write(`${line}\n`);
}

export function summaryText(s: LoadSummary): string {
  const c = s.connections;
  const l = s.latencyMs;
  const a = s.replayAgeMs;
  const r = s.resumes;
  const g = s.generator;
  const n = g.latencyMsNotBusy;
  const lines = [
    `Odin load: ${s.mode} against ${s.url} for ${s.durationSec} s`,
    `  connections   attempted ${c.attempted}, opened ${c.opened}, failed ${c.failed}, peak open ${c.peakOpen} (target ${c.target})`,
    `  errors        ${Object.keys(c.errorsByCode).length ? JSON.stringify(c.errorsByCode) : 'none'}`,
    `  server closes ${Object.keys(c.closesByCode).length ? JSON.stringify(c.closesByCode) : 'none'}`,
    `  messages      ${s.messages.received} received (${s.messages.live} live, ${s.messages.replayed} replayed), ${s.messages.perSec}/s, in ${s.messages.frames} frames`,
    `  latency ms    p50 ${l.p50}  p90 ${l.p90}  p99 ${l.p99}  p99.9 ${l.p999}  max ${l.max}  (${l.count} live messages, publish ts to receive)${g.flag ? `  [${g.flag}]` : ''}`,
    ...(g.busy ? [`  not busy ms   p50 ${n.p50}  p90 ${n.p90}  p99 ${n.p99}  p99.9 ${n.p999}  max ${n.max}  (${n.count} live messages of the seconds the generator was neither busy nor catching up after one)`] : []),
    `  replay age ms p50 ${a.p50}  p90 ${a.p90}  p99 ${a.p99}  max ${a.max}  (${a.count} replayed messages, how old on arrival; not latency)`,
    `  gaps          ${s.gaps}${s.gaps === 0 ? ' (ok)' : ' (LOSS!)'}, duplicates ${s.duplicates}`,
    `  reconnects    ${s.reconnects} connections reopened`,
    `  resumes       ${r.connections} connections resumed ${r.channels} channels: ${r.recovered} channels recovered, ${r.notRecovered} not recovered; ${r.replayed} messages replayed`,
    `  keepalives    sent ${s.keepalives.sent}, pongs ${s.keepalives.pongs}`,
    `  generator     event loop busy ${Math.round(g.utilization * 100)}%, delay p50 ${g.delayP50Ms} ms p99 ${g.delayP99Ms} ms max ${g.delayMaxMs} ms; busy ${g.busySeconds} of ${g.seconds} s${g.busy ? ' (GENERATOR BUSY: see latency)' : ' (ok)'}`,
    `  books         ${s.books.verified} book messages verified, book mismatches: ${s.books.mismatches}${s.books.mismatches === 0 ? ' (ok)' : ' (WRONG BOOK!)'}, resyncs ${s.books.resyncs}`,
  ];
  if (s.realistic) {
    const r = s.realistic;
    lines.push(
      `  realistic     time scale ${r.timeScale}, final target ${r.finalTarget}, sessions ${JSON.stringify(r.sessionsStarted)}, ended ${r.sessionsEnded}, left ${r.leftForGood}`,
      `  balancing     ${r.decisions.length} decisions${r.decisions.length ? `, last: ${r.decisions[r.decisions.length - 1]!.action} to ${r.decisions[r.decisions.length - 1]!.target} (${r.decisions[r.decisions.length - 1]!.reason})` : ''}`,
    );
  }
  return lines.join('\n') + '\n';
}
