// Every setting of `odin load api-publish`: HTTP publishes/s through a
// gateway's server API, single or batched.
import { ConfigError, resolveOptions, type OptionTable, type OptionValues } from './option-parser.js';

export const apiLoadOptionTable = {
  url: { kind: 'string', flag: 'url', env: 'ODIN_API_URL', default: 'http://127.0.0.1:3004', description: 'gateway base URL (its --api-port listener when one is set)' },
  apiKey: { kind: 'string', flag: 'api-key', env: 'ODIN_API_KEY', default: undefined, description: 'server API key (required)' },
  batch: { kind: 'int', flag: 'batch', env: 'API_LOAD_BATCH', default: 1, min: 1, max: 100_000, description: 'messages per request: 1 = single publishes ({"channel","data"}), more = {"messages":[...]}' },
  concurrency: { kind: 'int', flag: 'concurrency', env: 'API_LOAD_CONCURRENCY', default: 16, min: 1, max: 1024, description: 'requests in flight (one keep-alive connection each)' },
  duration: { kind: 'number', flag: 'duration', env: 'API_LOAD_DURATION', default: 10, min: 0.1, description: 'seconds to publish for' },
  channels: { kind: 'int', flag: 'channels', env: 'API_LOAD_CHANNELS', default: 100, min: 1, max: 1_000_000, description: 'distinct channels (load.api.c<N>), round robin' },
  idempotency: { kind: 'bool', flag: 'idempotency', env: 'API_LOAD_IDEMPOTENCY', default: false, description: 'give every message an idempotency key (what a careful backend does)' },
  json: { kind: 'string', flag: 'json', env: 'API_LOAD_JSON', default: undefined, description: 'write the summary as JSON to this file (- = stdout)' },
} satisfies OptionTable;

export type ApiLoadConfig = OptionValues<typeof apiLoadOptionTable> & { apiKey: string };

export function apiLoadConfigFrom(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ApiLoadConfig {
  const values = resolveOptions(apiLoadOptionTable, argv, env);
  if (values._positionals.length > 0) throw new ConfigError(`unexpected argument ${JSON.stringify(values._positionals[0])}`);
  if (values.apiKey === undefined) throw new ConfigError('--api-key/ODIN_API_KEY: a server API key is required');
  const url = new URL(values.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`--url/ODIN_API_URL: expected http:// or https://, got ${JSON.stringify(values.url)}`);
  return { ...values, apiKey: values.apiKey };
}
