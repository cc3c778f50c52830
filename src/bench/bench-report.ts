// The benchmark's table, for a terminal and for BENCHMARKS.md (Markdown).
import type { BenchOutput } from './bench-suite.js';

const fmt = (v: number | undefined, digits = 0): string => (v === undefined ? '-' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const x = (v: number | undefined): string => (v === undefined ? '-' : `${v.toFixed(2)}x`);

export function benchTable(out: BenchOutput): string {
  const header = ['scenario', 'system', 'fixed rate deliv/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max sustained deliv/s', 'server cpu at max', 'generator busy at max', 'RSS/conn KiB', 'gaps', 'note'];
  const rows = out.rows.map((r) => [
    r.scenario,
    r.system,
    r.fixedDelivered !== undefined ? `${fmt(r.fixedDelivered)} of ${fmt(r.fixedOffered)}` : '-',
    fmt(r.p50, 2),
    fmt(r.p99, 2),
    fmt(r.p999, 2),
    fmt(r.maxDeliveriesPerSec),
    r.serverCpuAtMax !== undefined ? `${r.serverCpuAtMax}%` : '-',
    r.generatorAtMax !== undefined ? `${Math.round(r.generatorAtMax * 100)}%` : '-',
    fmt(r.rssPerConnectionKiB, 2),
    String(r.gaps),
    r.status === 'ok' ? (r.note ?? '') : `${r.status}: ${r.note ?? ''}`,
  ]);
  const lines = [markdownTable(header, rows)];
  if (out.ratios.length) {
    lines.push('', 'Odin relative to each peer (higher = better for Odin):', '');
    lines.push(markdownTable(['scenario', 'peer', 'max deliveries/s', 'p99 at fixed rate (peer/odin)', 'RSS per connection (peer/odin)'], out.ratios.map((q) => [q.scenario, q.peer, x(q.maxDeliveries), x(q.p99), x(q.rssPerConnection)])));
  }
  if (out.resume) {
    lines.push('', `Resume of ${out.resume.missed} missed messages (subscribe with since -> last replayed message), ${out.resume.rounds} rounds x ${out.resume.runs.length} runs: p50 ${fmt(out.resume.p50Median, 3)} ms, p99 ${fmt(out.resume.p99Median, 3)} ms (medians over runs)`);
  }
  return lines.join('\n') + '\n';
}

export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

export function printBenchTable(out: BenchOutput, toStderr: boolean): void {
  const text = `\nOdin bench (${out.mode}), ${out.startedAt}, ${out.machine.cpus} cpus (${out.machine.cpuModel}), Node ${out.machine.node}, ${out.durationSec} s\n\n${benchTable(out)}`;
  if (toStderr) process.stderr.write(text);
  else process.stdout.write(text);
}
