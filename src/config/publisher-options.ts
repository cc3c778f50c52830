// Every setting of the publisher (`odin publisher`), with its flag, environment
// variable and default. `odin dev` reuses the simulation part of this table.
import { hostname } from 'node:os';
import { gatewayOptionTable, natsStreamOptionTable } from './gateway-options.js';
import { checkNatsCredentials } from './nats-credentials.js';
import { historyLimits, type HistoryLimits } from './history-defaults.js';
import { DUPLICATE_WINDOW_SEC } from '../broker/nats-stream-setup.js';
import { ConfigError, resolveOptions, type OptionTable, type OptionValues } from './option-parser.js';

/** The highest rate `--rate` and the control API accept, in messages per second. */
export const MAX_PUBLISH_RATE = 100_000;

/** The highest `--book-rate` and control `bookMessagesPerSecond`, in book messages per second. */
export const MAX_BOOK_RATE = 10_000;

export const DEFAULT_TOKENS = ['BTC', 'ETH', 'ODIN', 'SOL', 'DOGE'];
export const DEFAULT_DEMO_USERS = ['alice', 'bob', 'carol'];

/** A token id becomes one channel token: `token.<TOKEN>.price`. */
export const TOKEN_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/** What the simulator does: shared by `odin publisher` and `odin dev`. */
export const simulationOptionTable = {
  rate: { kind: 'number', flag: 'rate', env: 'PUBLISH_RATE', default: 20, min: 0, max: MAX_PUBLISH_RATE, description: 'price updates per second over all tokens' },
  tokens: { kind: 'list', flag: 'tokens', env: 'TOKENS', default: DEFAULT_TOKENS, description: 'simulated tokens' },
  duration: { kind: 'number', flag: 'duration', env: 'PUBLISH_DURATION', default: 0, min: 0, description: 'stop publishing after this many seconds (0 = never)' },
  statisticsIntervalMs: { kind: 'int', flag: 'statistics-interval-ms', env: 'STATISTICS_INTERVAL_MS', default: 30_000, min: 100, description: 'market statistics period on market.statistics' },
  bookRate: { kind: 'number', flag: 'book-rate', env: 'BOOK_RATE', default: 10, min: 0, max: MAX_BOOK_RATE, description: 'order-book messages per second over all tokens on book.<TOKEN> (0 = no books)' },
  tradeRate: { kind: 'number', flag: 'trade-rate', env: 'TRADE_RATE', default: 1, min: 0, max: 1000, description: 'simulated user trades per second on trades.user.<id> (0 = none)' },
  users: { kind: 'list', flag: 'users', env: 'DEMO_USERS', default: DEFAULT_DEMO_USERS, description: 'demo users that trade' },
  maxInFlight: { kind: 'int', flag: 'max-in-flight', env: 'PUBLISH_MAX_IN_FLIGHT', default: 10_000, min: 1, description: 'unacknowledged publishes allowed before the publisher waits (retries included)' },
  publishRetries: { kind: 'int', flag: 'publish-retries', env: 'PUBLISH_RETRIES', default: 10, min: 0, description: 'times a failed publish is sent again with the same message id (0 = never)' },
  publishRetryMs: { kind: 'int', flag: 'publish-retry-ms', env: 'PUBLISH_RETRY_MS', default: 30_000, min: 0, max: DUPLICATE_WINDOW_SEC * 1000, description: 'no retry starts later than this after the first attempt; at most the stream\'s duplicate window (2 min, or --history-max-age if shorter)' },
} satisfies OptionTable;

/** Who may drive the control API: shared by `odin publisher` and `odin dev`. */
export const controlOptionTable = {
  controlToken: { kind: 'string', flag: 'control-token', env: 'CONTROL_TOKEN', default: undefined, description: 'bearer token POST /control requires; absent = a random one, printed at start (a flag shows in ps)' },
  controlTokenFile: { kind: 'string', flag: 'control-token-file', env: 'CONTROL_TOKEN_FILE', default: undefined, description: 'file holding the control token' },
  controlAllowedOrigins: { kind: 'list', flag: 'control-allowed-origins', env: 'CONTROL_ALLOWED_ORIGINS', default: [], description: 'browser origins allowed to call the control API (CORS), comma-separated; empty = none' },
} satisfies OptionTable;

export const publisherOptionTable = {
  port: { kind: 'int', flag: 'port', env: 'PORT', default: 3003, min: 0, max: 65535, description: 'control API port (0 = any free port)' },
  host: { kind: 'string', flag: 'host', env: 'HOST', default: '127.0.0.1', description: 'address the control API listens on (loopback: only this machine)' },
  ...controlOptionTable,
  autostart: { kind: 'bool', flag: 'autostart', env: 'AUTOSTART', default: false, description: 'publish at once instead of waiting for POST /control {"action":"start"}' },
  ...simulationOptionTable,
  ...natsStreamOptionTable,
  streamOwner: gatewayOptionTable.streamOwner,
  instanceId: { ...gatewayOptionTable.instanceId, description: 'name of this publisher in logs and message ids (absent = publisher-host-pid)' },
  logLevel: gatewayOptionTable.logLevel,
  logFormat: gatewayOptionTable.logFormat,
  viaApi: { kind: 'string', flag: 'via-api', env: 'PUBLISH_VIA_API', default: undefined, description: 'publish through this gateway\'s server API (base URL, e.g. http://127.0.0.1:3004) instead of NATS' },
  apiKey: { kind: 'string', flag: 'api-key', env: 'ODIN_API_KEY', default: undefined, description: 'server API key for --via-api' },
} satisfies OptionTable;

export type ControlConfig = OptionValues<typeof controlOptionTable>;
export type SimulationConfig = OptionValues<typeof simulationOptionTable>;
/** historySize and historyMaxAgeSec are resolved per broker, as the gateway's (history-defaults.ts). */
export type PublisherConfig = Omit<OptionValues<typeof publisherOptionTable>, keyof HistoryLimits> & HistoryLimits & { instanceId: string };

/** Checks what the option table cannot: every token id must make a valid channel name. */
export function checkSimulation(values: SimulationConfig): void {
  const bad = values.tokens.find((t) => !TOKEN_ID_PATTERN.test(t));
  if (bad !== undefined) throw new ConfigError(`--tokens/TOKENS: ${JSON.stringify(bad)} is not a token id ([A-Za-z0-9_-], 1 to 32 characters)`);
  if (values.tokens.length === 0) throw new ConfigError('--tokens/TOKENS: at least one token is needed');
  const badUser = values.users.find((u) => !TOKEN_ID_PATTERN.test(u));
  if (badUser !== undefined) throw new ConfigError(`--users/DEMO_USERS: ${JSON.stringify(badUser)} is not a user id ([A-Za-z0-9_-], 1 to 32 characters)`);
}

export function publisherConfigFrom(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): PublisherConfig {
  const given = resolveOptions(publisherOptionTable, argv, env);
  const values = { ...given, ...historyLimits(given) };
  checkSimulation(values);
  checkNatsCredentials(values);
  if (values.controlToken !== undefined && values.controlTokenFile !== undefined) {
    throw new ConfigError('--control-token/CONTROL_TOKEN and --control-token-file/CONTROL_TOKEN_FILE: give one, not both');
  }
  if (values.viaApi !== undefined && values.apiKey === undefined) throw new ConfigError('--via-api/PUBLISH_VIA_API needs --api-key/ODIN_API_KEY');
  if (values.viaApi !== undefined && values.natsUrl !== undefined) throw new ConfigError('--via-api/PUBLISH_VIA_API and --nats/NATS_URL: choose one way to publish');
  // A retry after the duplicate window would be stored twice; the window is capped by max_age.
  if (values.publishRetryMs > values.historyMaxAgeSec * 1000) {
    throw new ConfigError(`--publish-retry-ms/PUBLISH_RETRY_MS: ${values.publishRetryMs} is longer than --history-max-age (${values.historyMaxAgeSec} s), which caps the stream's duplicate window`);
  }
  return { ...values, instanceId: values.instanceId ?? `publisher-${hostname()}-${process.pid}` };
}
