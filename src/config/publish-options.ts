// Every setting of `odin publish` (the server API from a shell), with its
// flag, environment variable and default.
import { ConfigError, resolveOptions, type OptionTable, type OptionValues } from './option-parser.js';

export const publishOptionTable = {
  url: { kind: 'string', flag: 'url', env: 'ODIN_API_URL', default: 'http://127.0.0.1:3004', description: 'gateway base URL (the API is under /api/; its --api-port listener when one is set)' },
  apiKey: { kind: 'string', flag: 'api-key', env: 'ODIN_API_KEY', default: undefined, description: 'server API key (required)' },
  file: { kind: 'string', flag: 'file', default: undefined, description: 'NDJSON to publish (- = stdin): {"channel","data","idempotencyKey"?} per line, or data values when CHANNEL is given' },
  idempotencyKey: { kind: 'string', flag: 'idempotency-key', default: undefined, description: 'idempotency key of the single message' },
  batch: { kind: 'int', flag: 'batch', env: 'ODIN_PUBLISH_BATCH', default: 500, min: 1, max: 100_000, description: 'messages per request with --file' },
} satisfies OptionTable;

export type PublishCliConfig = OptionValues<typeof publishOptionTable> & { apiKey: string; channel: string | undefined; data: string | undefined };

export function publishCliConfigFrom(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): PublishCliConfig {
  const values = resolveOptions(publishOptionTable, argv, env, [], 2);
  const [channel, data, ...rest] = values._positionals;
  if (rest.length > 0) throw new ConfigError(`unexpected argument ${JSON.stringify(rest[0])}: odin publish CHANNEL JSON, or --file`);
  if (values.apiKey === undefined) throw new ConfigError('--api-key/ODIN_API_KEY: a server API key is required');
  const url = new URL(values.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`--url/ODIN_API_URL: expected http:// or https://, got ${JSON.stringify(values.url)}`);
  if (values.file === undefined && (channel === undefined || data === undefined)) throw new ConfigError('give CHANNEL and JSON, or --file');
  if (values.file !== undefined && data !== undefined) throw new ConfigError('with --file, give at most CHANNEL (the data comes from the file)');
  if (values.file !== undefined && values.idempotencyKey !== undefined) throw new ConfigError('--idempotency-key is for one message; in a file, give each line its own');
  return { ...values, apiKey: values.apiKey, channel, data };
}
