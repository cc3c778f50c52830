// `odin load api-publish`: HTTP publishes/s through a gateway's server API
// (single or batched); the figures in BENCHMARKS.md come from it.
import { writeFileSync } from 'node:fs';
import { apiLoadConfigFrom, apiLoadOptionTable } from '../../config/api-load-options.js';
import { describeOptions } from '../../config/option-parser.js';
import { apiLoadText, runApiPublishLoad } from '../../load/api-publish-run.js';

const USAGE = `usage: odin load api-publish [--batch N] [--concurrency C] [--duration S] [options]

Publishes ~200-byte price ticks through POST /api/publish for --duration
seconds with --concurrency requests in flight, and reports messages/s,
requests/s and request latency. Exit status 3 when a request failed or a
position was answered twice.

`;

export async function run(argv: string[]): Promise<void> {
  if (argv.includes('--help')) {
    process.stdout.write(`${USAGE}${describeOptions(apiLoadOptionTable)}\n`);
    return;
  }
  const c = apiLoadConfigFrom(argv);
  const summary = await runApiPublishLoad({ url: c.url, key: c.apiKey, batch: c.batch, concurrency: c.concurrency, durationMs: c.duration * 1000, channels: c.channels, idempotency: c.idempotency });
  if (c.json === '-') process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else process.stdout.write(apiLoadText(summary));
  if (c.json && c.json !== '-') writeFileSync(c.json, `${JSON.stringify(summary, null, 2)}\n`);
  if (summary.failedRequests > 0 || summary.duplicatePositions > 0 || summary.messages === 0) process.exitCode = 3;
}
