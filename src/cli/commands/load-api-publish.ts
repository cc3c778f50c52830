// `odin load api-publish`: HTTP publishes/s through a gateway's server API
// (single or batched); the figures in BENCHMARKS.md come from it.
import { writeFileSync } from 'node:fs';
import { apiLoadConfigFrom, apiLoadOptionTable } from '../../config/api-load-options.js';
import { renderHelp } from '../help.js';
import { warnAboutSecretFlagsOnStderr } from '../secret-flags.js';
import { apiLoadText, runApiPublishLoad } from '../../load/api-publish-run.js';


export function help(): string {
  return renderHelp({
    usage: ['odin load api-publish [--batch N] [--concurrency C] [--duration S] [options]'],
    description: `Publishes ~200-byte price ticks through POST /api/publish for --duration
seconds with --concurrency requests in flight, and reports messages/s,
requests/s and request latency. Exit status 3 when a request failed or a
position was answered twice.`,
    sections: [{ title: 'options', table: apiLoadOptionTable }],
    examples: ['ODIN_API_KEY="$ODIN_API_KEY" npx odin load api-publish --batch 100 --concurrency 4 --duration 10'],
  });
}

export async function run(argv: string[]): Promise<void> {
  const c = apiLoadConfigFrom(argv);
  warnAboutSecretFlagsOnStderr(apiLoadOptionTable, argv);
  const summary = await runApiPublishLoad({ url: c.url, key: c.apiKey, batch: c.batch, concurrency: c.concurrency, durationMs: c.duration * 1000, channels: c.channels, idempotency: c.idempotency });
  if (c.json === '-') process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else process.stdout.write(apiLoadText(summary));
  if (c.json && c.json !== '-') writeFileSync(c.json, `${JSON.stringify(summary, null, 2)}\n`);
  if (summary.failedRequests > 0 || summary.duplicatePositions > 0 || summary.messages === 0) process.exitCode = 3;
}
