// `odin load light|medium|heavy|custom|attack|realistic`: stress presets, attackers
// beside well-behaved clients, and the trading simulation against a running gateway.
import { writeFileSync } from 'node:fs';
import { renderHelp } from '../help.js';
import { help as apiPublishHelp } from './load-api-publish.js';
import { loadConfigFrom, loadOptionTable, LOAD_PRESETS } from '../../config/load-options.js';
import { printProgress, summaryText } from '../../load/console-report.js';
import { renderHtmlReport } from '../../load/html-report.js';
import type { LoadSummary } from '../../load/load-stats.js';
import { healthUrlFor, runRealistic } from '../../load/realistic-run.js';
import { runStress } from '../../load/stress-run.js';
import { attackText, runAttack, type AttackRunSummary } from '../../load/attack-run.js';
import { ATTACK_DESCRIPTIONS } from '../../load/attackers.js';
import type { AttackKind } from '../../config/load-options.js';

const DESCRIPTION = `Runs WebSocket clients against a running gateway and reports connections,
messages/s, publish-to-receive latency percentiles and gaps (exit status 3 when
there were gaps or nothing was received).

presets: ${Object.entries(LOAD_PRESETS)
  .filter(([n]) => n !== 'custom')
  .map(([n, p]) => `${n} ${p.connections} connections / ${p.durationSec} s`)
  .join(', ')}
realistic: trader sessions, 70% reconnect and resume, peak hours, auto-balancing from /health
  and from this generator's own event loop (a busy generator stops growing; its latency is flagged)
api-publish: HTTP publishes/s through a gateway's server API ('odin load api-publish --help')
attack: --attackers hostile clients beside --connections well-behaved ones; --attack is one of
${Object.entries(ATTACK_DESCRIPTIONS).map(([k, d]) => `  ${k}: ${d}`).join('\n')}

`;

export function help(argv: readonly string[] = []): string {
  if (argv[0] === 'api-publish') return apiPublishHelp();
  return renderHelp({
    usage: ['odin load <light|medium|heavy|custom|attack|realistic> [options]', 'odin load api-publish [options]'],
    description: DESCRIPTION,
    sections: [{ title: 'options', table: loadOptionTable }],
    examples: [
      'npx odin load light                                   # 100 connections for 30 s',
      'npx odin load custom --connections 300 --duration 20 --json load.json',
      'npx odin load realistic --duration 60 --time-scale 0.1',
      'npx odin load attack --attack idle-sockets --attackers 200',
    ],
  });
}

export async function run(argv: string[]): Promise<void> {
  // HTTP publishing through the server API: another kind of load, with its own options.
  if (argv[0] === 'api-publish') return (await import('./load-api-publish.js')).run(argv.slice(1));
  const config = loadConfigFrom(argv);
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const onProgress = config.quiet ? undefined : printProgress;
  let summary: LoadSummary;
  // What every kind of run's clients share.
  const common = {
    url: config.url,
    durationMs: config.duration * 1000,
    channels: config.channels,
    // The reference protocol has no book channels (it never subscribes).
    bookChannels: config.protocol === 'reference' ? [] : config.bookChannels,
    bookShare: config.bookShare,
    keepaliveMs: config.keepalive * 1000,
    compression: config.compression === 'on',
    onProgress,
    signal: abort.signal,
  };
  // What a stress run and an attack run's well-behaved clients share beyond that.
  const stressOptions = {
    ...common,
    mode: config.mode,
    connections: config.connections,
    rampPerSec: config.ramp,
    reconnectDelayMs: config.reconnectDelayMs,
  };
  if (config.mode === 'realistic') {
    summary = await runRealistic({
      ...common,
      healthUrl: config.healthUrl ?? healthUrlFor(config.url),
      target: config.target,
      min: config.min,
      max: config.max,
      timeScale: config.timeScale,
    });
  } else if (config.mode === 'attack') {
    summary = await runAttack({
      ...stressOptions,
      attack: config.attack as AttackKind,
      attackers: config.attackers,
      attackDelaySec: config.attackDelay,
    });
  } else {
    summary = await runStress(stressOptions);
  }
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  if (!config.quiet && process.stderr.isTTY) process.stderr.write('\n');
  if (config.json === '-') process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else process.stdout.write(summaryText(summary) + ('attack' in summary ? attackText((summary as AttackRunSummary).attack) : ''));
  if (config.json && config.json !== '-') writeFileSync(config.json, `${JSON.stringify(summary, null, 2)}\n`);
  if (config.report) writeFileSync(config.report, renderHtmlReport(summary));
  // Loss is a failure, and so is a run that received nothing (a dead URL, a gateway nothing publishes to): scripts and CI rely on the exit code.
  const failure = runFailure(summary);
  if (failure !== undefined) {
    process.stderr.write(`odin load: ${failure}\n`);
    process.exitCode = 3;
  }
}

/** Why the run failed, or undefined when it did not. */
export function runFailure(summary: LoadSummary): string | undefined {
  const c = summary.connections;
  if (c.opened === 0) {
    const errors = Object.entries(c.errorsByCode).map(([code, n]) => `${code} ${n}`).join(', ');
    return `no connection opened (${c.attempted} attempted, ${c.failed} failed${errors ? `: ${errors}` : ''}); is a gateway listening at ${summary.url}?`;
  }
  if (summary.messages.received === 0) return `no message received on ${c.opened} connections: is anything publishing to the channels (npx odin publisher, or npx odin dev)?`;
  if (summary.gaps > 0 || summary.duplicates > 0) return `${summary.gaps} gaps and ${summary.duplicates} duplicates`;
  if (summary.books.mismatches > 0) return `${summary.books.mismatches} book mismatches (a local book differed from the checksum it received)`;
  return undefined;
}
