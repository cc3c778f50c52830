// `odin publish CHANNEL JSON` / `odin publish [CHANNEL] --file F.ndjson`:
// the server API from a shell. Prints one position per message (NDJSON);
// exits 1 with the code and message of a refusal.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ApiRequestError, OdinApiClient } from '../../api/api-client.js';
import type { PublishMessage } from '../../api/api-validation.js';
import { ConfigError } from '../../config/option-parser.js';
import { renderHelp } from '../help.js';
import { warnAboutSecretFlagsOnStderr } from '../secret-flags.js';
import { publishCliConfigFrom, publishOptionTable } from '../../config/publish-options.js';


export function help(): string {
  return renderHelp({
    usage: ['odin publish CHANNEL JSON [--idempotency-key K]', 'odin publish [CHANNEL] --file FILE.ndjson|-'],
    description: `Publishes through a gateway's server API (docs/server-api.md) and prints the
position of each message, one JSON line each. The gateway must have a server
API key (API_KEYS); give the same key in ODIN_API_KEY.`,
    sections: [{ title: 'options', table: publishOptionTable }],
    examples: [
      `ODIN_API_KEY="$ODIN_API_KEY" npx odin publish token.BTC.price '{"price":101.5}'`,
      'npx odin publish --file messages.ndjson        # one {"channel","data"} per line',
      'npx odin publish token.BTC.price --file -      # data values from stdin',
    ],
  });
}

export async function run(argv: string[]): Promise<void> {
  const config = publishCliConfigFrom(argv);
  warnAboutSecretFlagsOnStderr(publishOptionTable, argv);
  const client = new OdinApiClient({ url: config.url, key: config.apiKey, maxSockets: 1 });
  try {
    if (config.file === undefined) {
      const message: PublishMessage = { channel: config.channel!, data: parseJson(config.data!, 'JSON argument'), ...(config.idempotencyKey !== undefined ? { idempotencyKey: config.idempotencyKey } : {}) };
      printPositions([await client.publish(message)]);
      return;
    }
    let batch: PublishMessage[] = [];
    let line = 0;
    const input = config.file === '-' ? process.stdin : createReadStream(config.file);
    for await (const text of createInterface({ input, crlfDelay: Infinity })) {
      line++;
      if (text.trim() === '') continue;
      batch.push(messageOf(parseJson(text, `line ${line}`), config.channel, line));
      if (batch.length >= config.batch) {
        printPositions(await client.publishBatch(batch));
        batch = [];
      }
    }
    if (batch.length > 0) printPositions(await client.publishBatch(batch));
  } catch (err) {
    if (!(err instanceof ApiRequestError)) throw err;
    process.stderr.write(`odin publish: ${err.code}: ${err.message}\n`);
    process.exitCode = 1;
  } finally {
    client.close();
  }
}

function messageOf(value: unknown, channel: string | undefined, line: number): PublishMessage {
  // With CHANNEL given, every line is the data; else every line is a whole message.
  if (channel !== undefined) return { channel, data: value };
  if (typeof value !== 'object' || value === null || !('channel' in value)) throw new ConfigError(`line ${line}: expected {"channel","data","idempotencyKey"?} (or give CHANNEL)`);
  return value as PublishMessage;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ConfigError(`${what} is not JSON: ${(err as Error).message}`);
  }
}

function printPositions(positions: unknown[]): void {
  process.stdout.write(positions.map((p) => JSON.stringify(p)).join('\n') + '\n');
}
