// The benchmark's table, for a terminal and for BENCHMARKS.md (Markdown).
import type { SystemResult } from './bench-scenario.js';
import type { BenchOutput } from './bench-suite.js';
import { P99_RATIO_TARGET, RSS_FLAT_TOLERANCE } from './slow-consumers.js';
import { cpuMicrosPerDelivery } from './books-course.js';
import { median } from './bench-summary.js';

const fmt = (v: number | undefined, digits = 0): string => (v === undefined ? '-' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const x = (v: number | undefined): string => (v === undefined ? '-' : `${v.toFixed(2)}x`);
/** A ratio with its spread over the runs: `2.10x [1.80-2.40]`. */
const withSpread = (v: number | undefined, spread: readonly [number, number] | undefined): string => (spread ? `${x(v)} [${spread[0].toFixed(2)}-${spread[1].toFixed(2)}]` : x(v));

export function benchTable(out: BenchOutput): string {
  const header = ['scenario', 'system', 'fixed rate deliv/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max sustained deliv/s', 'server cpu at max', 'generator busy at max', 'RSS/conn KiB', 'bytes/deliv', 'gaps', 'note'];
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
    fmt(r.bytesPerDelivery, 1),
    String(r.gaps),
    r.status === 'ok' ? (r.note ?? '') : `${r.status}: ${r.note ?? ''}`,
  ]);
  const lines = [markdownTable(header, rows)];
  if (out.ratios.length) {
    lines.push('', 'Odin relative to each peer (higher = better for Odin; with --repeat, the ratio of the medians and, in brackets, the lowest and highest ratio within one run):', '');
    const pinned = out.ratios.some((q) => q.pinnedP99 !== undefined);
    lines.push(
      markdownTable(
        ['scenario', 'peer', 'max deliveries/s', 'p99 at fixed rate (peer/odin)', 'RSS per connection (peer/odin)', ...(pinned ? ['pinned p99 (peer/odin)'] : [])],
        out.ratios.map((q) => [q.scenario, q.peer, withSpread(q.maxDeliveries, q.maxDeliveriesSpread), withSpread(q.p99, q.p99Spread), x(q.rssPerConnection), ...(pinned ? [x(q.pinnedP99)] : [])]),
      ),
    );
  }
  const compressed = out.rows.filter((r) => ['odin-deflate', 'ws-deflate'].includes(r.system) || out.compression.some((c) => c.scenario === r.scenario));
  if (compressed.length) {
    lines.push('', 'Bytes on the wire (read by the clients, WebSocket framing included) per delivery:', '');
    lines.push(
      markdownTable(
        ['scenario', 'system', 'bytes/deliv at fixed rate', 'bytes/deliv at max', 'max sustained deliv/s', 'gaps'],
        compressed.map((r) => [r.scenario, r.system, fmt(r.bytesPerDelivery, 1), fmt(r.bytesPerDeliveryAtMax, 1), fmt(r.maxDeliveriesPerSec), String(r.gaps)]),
      ),
    );
    for (const c of out.compression) {
      lines.push('', `${c.scenario}: Odin compressed sends ${x(c.bytesSaved)} fewer bytes per delivery than uncompressed at the fixed rate (${x(c.bytesSavedAtMax)} at the max step); its max deliveries/s is ${x(c.maxVsOdin)} Odin uncompressed's and ${x(c.maxVsWsDeflate)} ws-deflate's`);
    }
  }
  const pinned = out.rows.filter((r) => r.pinnedP99 !== undefined || (r.note ?? '').includes('not pinned'));
  if (pinned.length) {
    lines.push('', 'Latency at the fixed rate, unpinned and pinned (server on one core, generator on the others):', '');
    lines.push(
      markdownTable(
        ['scenario', 'system', 'unpinned deliv/s', 'unpinned p50 ms', 'unpinned p99 ms', 'pinned deliv/s', 'pinned p50 ms', 'pinned p99 ms', 'pinned p99.9 ms'],
        pinned.map((r) => [r.scenario, r.system, fmt(r.fixedDelivered), fmt(r.p50, 2), fmt(r.p99, 2), fmt(r.pinnedDelivered), fmt(r.pinnedP50, 2), fmt(r.pinnedP99, 2), fmt(r.pinnedP999, 2)]),
      ),
    );
  }
  const spread = out.rows.filter((r) => r.spread);
  if (spread.length) {
    const range = (v: readonly [number, number] | undefined, digits: number): string => (v ? `${fmt(v[0], digits)} - ${fmt(v[1], digits)}` : '-');
    lines.push('', 'Spread over the runs (lowest - highest; the tables above show medians):', '');
    lines.push(
      markdownTable(
        ['scenario', 'system', 'runs', 'max sustained deliv/s', 'p99 ms at fixed rate', 'pinned p99 ms', 'bytes/deliv'],
        spread.map((r) => [r.scenario, r.system, String(r.runs), range(r.spread!.maxDeliveriesPerSec, 0), range(r.spread!.p99, 2), range(r.spread!.pinnedP99, 2), range(r.spread!.bytesPerDelivery, 1)]),
      ),
    );
  }
  const scale = out.rows.filter((r) => r.scale);
  if (scale.length) {
    lines.push('', 'Scale: subscribed connections to one gateway (its worker processes summed), then broadcasts to all of them:', '');
    lines.push(
      markdownTable(
        ['scenario', 'system', 'workers', 'connections', 'connect + subscribe s', 'conn/s', 'RSS/conn KiB', 'kernel slab/conn KiB', 'broadcast to last ms', 'broadcast deliv/s', 'p50 ms', 'p99 ms', 'got every message', 'gaps'],
        scale.map((r) => {
          const s = r.scale!;
          return [r.scenario, r.system, fmt(s.serverProcesses), `${fmt(s.subscribed)} of ${fmt(s.wanted)}`, fmt(s.connectSeconds, 2), fmt(s.connectionsPerSec), fmt(r.rssPerConnectionKiB, 2), fmt(s.kernelSlabPerConnectionKiB, 2), fmt(s.fanoutMs, 1), fmt(s.broadcastDeliveriesPerSec), fmt(s.broadcastP50, 2), fmt(s.broadcastP99, 2), fmt(s.complete), String(r.gaps)];
        }),
      ),
    );
    for (const r of scale) if (r.scale!.limit) lines.push('', `${r.scenario}: capped at ${fmt(r.scale!.attempted)} connections: ${r.scale!.limit}`);
    const realistic = scale.filter((r) => r.scale!.realistic);
    if (realistic.length) {
      lines.push('', 'Then the realistic phase: every channel at the same rate (1 msg/s, or lower where --scale-realistic-deliveries caps what the watch lists ask), each connection on its watch list (the run with the smallest share delivered):', '');
      lines.push(
        markdownTable(
          ['scenario', 'channels', 'msg/s per channel', 'asked deliv/s', 'seconds', 'channels/client', 'published', 'deliveries expected', 'received', 'deliv/s', 'p50 ms', 'p99 ms', 'gaps', 'closes', 'busiest generator'],
          realistic.map((r) => {
            const x = r.scale!.realistic!;
            return [r.scenario, fmt(x.channels), fmt(x.perChannelPerSec, 4), fmt(x.askedPerSec), fmt(x.seconds), fmt(x.channelsPerClient, 2), fmt(x.published), fmt(x.expected), fmt(x.received), fmt(x.deliveriesPerSec), fmt(x.latencyMs.p50, 2), fmt(x.latencyMs.p99, 2), fmt(x.gaps), fmt(x.closes), fmt(x.generatorBusiest, 2)];
          }),
        ),
      );
    }
  }
  const slow = out.results.filter((r) => r.slowConsumers);
  if (slow.length) lines.push('', slowConsumersTable(slow));
  const books = out.results.filter((r) => r.books);
  if (books.length) lines.push('', booksTable(books));
  if (out.resume) {
    lines.push(
      '',
      'Resume of a backlog (subscribe with since -> last replayed message; every replay checked by seq: recovered, contiguous, complete), medians over runs:',
      '',
      markdownTable(
        ['broker', 'backlog', 'rounds x runs', 'p50 ms', 'p99 ms'],
        out.resume.courses.map((c) => [c.broker === 'nats' ? 'NATS (file)' : 'memory', fmt(c.missed), `${c.rounds} x ${c.runs.length}`, fmt(c.p50Median, 3), fmt(c.p99Median, 3)]),
      ),
    );
  }
  return lines.join('\n') + '\n';
}

/** Every run of the books course: price channels then book channels, the snapshot's cost, and the 1.2x verdict. */
export function booksTable(results: readonly SystemResult[]): string {
  const lines = ['Order books: the same clients on price channels, then on book channels (each on a fresh gateway):', ''];
  const rows: string[][] = [];
  for (const r of results) {
    for (const [label, run] of [['price ticks', r.books!.prices], ['order books', r.books!.books]] as const) {
      rows.push([
        r.scenario,
        label,
        run.fixed ? `${fmt(run.fixed.delivered)} of ${fmt(run.fixed.offered)}` : '-',
        fmt(run.fixed?.latencyMs.p50, 2),
        fmt(run.fixed?.latencyMs.p99, 2),
        fmt(run.fixed?.bytesPerDelivery, 1),
        fmt(cpuMicrosPerDelivery(run.fixed), 2),
        fmt(run.max?.deliveriesPerSec),
        String(run.gaps ?? 0),
      ]);
    }
  }
  lines.push(markdownTable(['scenario', 'channels', 'fixed rate deliv/s', 'p50 ms', 'p99 ms', 'bytes/deliv', 'server cpu us/deliv', 'max sustained deliv/s', 'gaps'], rows));
  for (const r of results) {
    const b = r.books!;
    const s = b.snapshot;
    if (s) {
      lines.push('', `${r.scenario}: subscribe -> subscribed, ${s.rounds} rounds on one connection: with a snapshot (depth 1000) p50 ${fmt(s.book.ms.p50, 2)} ms, p99 ${fmt(s.book.ms.p99, 2)} ms, ${fmt(s.book.bytes)} bytes; with the latest price p50 ${fmt(s.price.ms.p50, 2)} ms, p99 ${fmt(s.price.ms.p99, 2)} ms, ${fmt(s.price.bytes)} bytes`);
    }
    const q = b.ratios;
    const verdict = b.within1_2x === undefined ? 'not measured' : b.within1_2x ? 'holds' : 'does NOT hold';
    lines.push('', `${r.scenario}: a book delivery against a price delivery: max throughput (price/book) ${x(q.maxThroughput)}, server cpu per delivery ${x(q.cpuPerDelivery)}, p99 ${x(q.p99)}, bytes ${x(q.bytesPerDelivery)}; at most 1.2x: ${verdict}`);
  }
  return lines.join('\n');
}

/** Every run of the slow-consumers course (not medians: each run's three gateways belong together), and the targets. */
export function slowConsumersTable(results: readonly SystemResult[]): string {
  const lines = ['Slow consumers: the same publish rate without slow readers, with them under --slow-client conflate, and under --slow-client close:', ''];
  const rows: string[][] = [];
  for (const r of results) {
    for (const run of r.slowConsumers!.runs) {
      const closes = Object.entries(run.slowCloses).map(([code, n]) => `${n} x ${code}`).join(', ');
      rows.push([
        r.scenario,
        run.label,
        `${fmt(run.fastDeliveredPerSec)} of ${fmt(run.fastOfferedPerSec)}`,
        fmt(run.fastLatencyMs.p50, 2),
        fmt(run.fastLatencyMs.p99, 2),
        String(run.gaps),
        run.slowClients ? `${run.slowConnectedAtEnd} of ${run.slowClients}` : '-',
        run.slowClients ? `${run.serverSwitched} of ${run.slowSubscriptions}` : '-',
        run.slowClients ? String(run.serverClosed4000) : '-',
        run.slowClients ? closes || 'none' : '-',
        run.slowClients ? fmt(run.slowMaxLagMs / 1000, 1) : '-',
        run.slowClients ? (run.slowSwitchedAfterMs !== undefined ? fmt(run.slowSwitchedAfterMs / 1000, 1) : 'not all') : '-',
        `${fmt(run.rssKiB.start / 1024, 1)} / ${fmt(run.rssKiB.middle / 1024, 1)} / ${fmt(run.rssKiB.end / 1024, 1)}`,
      ]);
    }
  }
  lines.push(markdownTable(['scenario', 'run', 'fast deliv/s', 'fast p50 ms', 'fast p99 ms', 'gaps', 'slow connected at end', 'slow subs switched (gateway)', 'slow closed 4000 (gateway)', 'closes seen by slow (code)', 'slow newest value age s', 'all slow switched/closed after s', 'server RSS MiB start / middle / end'], rows));
  const yes = (v: boolean): string => (v ? 'holds' : 'does NOT hold');
  for (const r of results) {
    const v = r.slowConsumers!.verdict;
    lines.push(
      '',
      `${r.scenario}: fast p99 with slow readers (conflate) / without: ${x(v.p99Ratio)} (target <= ${P99_RATIO_TARGET}x: ${yes(v.p99Holds)}); ` +
        `slow readers all connected at the end, none closed: ${yes(v.slowStayConnected)}; server RSS flat (within ${RSS_FLAT_TOLERANCE * 100}% of the window's start): ${yes(v.rssFlat)}; ` +
        `--slow-client close closed them with 4000: ${v.closeRunClosed4000 ? 'yes' : 'no'}`,
    );
  }
  const repeats = slowConsumersOverRuns(results);
  if (repeats) {
    lines.push(
      '',
      `over ${repeats.runs} runs: fast p99 median ${fmt(repeats.conflateP99Median, 2)} ms with slow readers (conflate) against ${fmt(repeats.withoutP99Median, 2)} ms without: ${x(repeats.p99RatioOfMedians)} ` +
        `(target <= ${P99_RATIO_TARGET}x on the ratio of the medians: ${yes(repeats.p99RatioOfMedians <= P99_RATIO_TARGET)}); each run's own ratio ${repeats.p99Ratios.map((r) => x(r)).join(', ')}`,
    );
  }
  return lines.join('\n');
}

/**
 * With --repeat: the fast clients' p99 median over the runs without slow
 * readers and with them (conflate), and their ratio, judged as every peer
 * ratio of the bench is (the ratio of the medians). A p99 over a 20 s
 * window on a shared 2-core box moves with whatever else ran in that
 * window, so one run's own ratio divides by one noisy figure (4.88 ms in a
 * quiet run whose other baselines were 11.9 and 15.2: 2.31x); each run's
 * ratio is still printed, as the spread.
 */
export function slowConsumersOverRuns(
  results: readonly SystemResult[],
): { runs: number; withoutP99Median: number; conflateP99Median: number; p99RatioOfMedians: number; p99Ratios: number[] } | undefined {
  const p99Of = (label: string): number[] => results.flatMap((r) => r.slowConsumers?.runs.filter((run) => run.label === label).map((run) => run.fastLatencyMs.p99) ?? []);
  const without = p99Of('without slow clients');
  const conflate = p99Of('slow clients, conflate');
  if (without.length < 2 || conflate.length < 2) return undefined;
  // Both have two or more runs here.
  const withoutP99Median = median(without)!;
  const conflateP99Median = median(conflate)!;
  return {
    runs: Math.min(without.length, conflate.length),
    withoutP99Median,
    conflateP99Median,
    p99RatioOfMedians: Math.round((conflateP99Median / withoutP99Median) * 100) / 100,
    p99Ratios: results.flatMap((r) => (r.slowConsumers?.verdict.p99Ratio !== undefined ? [r.slowConsumers.verdict.p99Ratio] : [])),
  };
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
