// `odin bench`: Odin and its peers side by side on this machine, one run, ratios.
import { mkdirSync, writeFileSync } from 'node:fs';
import { benchConfigFrom, benchOptionTable } from '../../config/bench-options.js';
import { renderHelp } from '../help.js';
import { benchPlan, scenarioNames } from '../../bench/bench-plan.js';
import { printBenchTable } from '../../bench/bench-report.js';
import { runBench } from '../../bench/bench-suite.js';

const DESCRIPTION = `Starts each system in its own process with the same clients, channels,
~200-byte price ticks and publish pattern, and measures deliveries/s and
publish-to-receive latency at a fixed rate, the maximum sustained
deliveries/s, RSS per idle connection, and Odin's resume time for 1k, 10k and
100k-message backlogs over NATS and on the memory broker (the resume
scenario; every replay checked by seq); bytes on
the wire per delivery, compressed and not; latency with the server and the
generator pinned to separate cores; N connections to one gateway (scale);
slow consumers (10% of the clients reading at a tenth of the rate: the
others' p99 and the server's RSS without them, with --slow-client conflate,
and with --slow-client close); order books (the same clients on price channels,
then on book channels: deliveries/s, p99, bytes and CPU per delivery, and a
snapshot's cost on subscribe).
Systems: odin (memory broker), odin-deflate (the same, clients negotiating
permessage-deflate), odin-nats (when this build has the NATS broker), nats-ws
(nats-server's WebSocket listener), ws-loop (JSON.stringify + send per
client), ws-deflate (ws with perMessageDeflate, per connection), socketio
(rooms; a dev dependency, skipped when absent). Needs \`npm run build\` first.
Scenarios: ${scenarioNames('full').join(', ')} (full run); ${scenarioNames('quick').join(', ')} (--quick); ${scenarioNames('tiny').join(', ')} (--tiny).

`;

export function help(): string {
  return renderHelp({
    usage: ['odin bench [--quick] [options]'],
    description: DESCRIPTION,
    sections: [{ title: 'options', table: benchOptionTable }],
    examples: ['npx odin bench --quick                 # under a minute', 'npx odin bench --json bench.json       # the full run, figures kept'],
  });
}

export async function run(argv: string[]): Promise<void> {
  const config = benchConfigFrom(argv);
  const mode = config.tiny ? 'tiny' : config.quick ? 'quick' : 'full';
  const plan = benchPlan(mode, { warmupMs: config.warmupMs, measureMs: config.measureMs, workers: config.workers, sampleEvery: config.sampleEvery, scenarios: config.scenarios, scaleConnections: config.scaleConnections, scaleWorkers: config.scaleWorkers, scaleRealisticDeliveries: config.scaleRealisticDeliveries });
  if (config.cpuProf) mkdirSync(config.cpuProf, { recursive: true });
  const jsonToStdout = config.json === '-';
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const out = await runBench(plan, { systems: config.systems, repeat: config.repeat, pin: config.pin === 'off' ? 'off' : 'auto', ...(config.cpuProf ? { cpuProfileDir: config.cpuProf } : {}), log });
  printBenchTable(out, jsonToStdout);
  if (jsonToStdout) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  else if (config.json) writeFileSync(config.json, `${JSON.stringify(out, null, 2)}\n`);
  // A system that lost messages is a finding, and a failure for scripts.
  if (out.rows.some((r) => r.gaps > 0)) process.exitCode = 3;
}
