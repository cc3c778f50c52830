// Every setting of the gateway, with its flag, environment variable and
// default. README's configuration table is checked against this table by a test.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { checkChannel, DOCUMENTED_CHANNEL_FAMILIES, mayRead, patternsIntersect, unknownChannelReason } from '@odin-gateway/client/channels';
import { LOG_FORMATS } from '../observability/logger.js';
import { checkNatsCredentials } from './nats-credentials.js';
import { describeHistoryDefault, historyLimits, type HistoryLimits } from './history-defaults.js';
import { ConfigError, resolveOptions, type OptionTable, type OptionValues } from './option-parser.js';

export const gatewayOptionTable = {
  port: { kind: 'int', flag: 'port', env: 'PORT', default: 3004, min: 0, max: 65535, description: 'HTTP/WebSocket port (0 = any free port)' },
  host: { kind: 'string', flag: 'host', env: 'HOST', default: '0.0.0.0', description: 'address to listen on' },
  natsUrl: { kind: 'string', flag: 'nats', env: 'NATS_URL', default: undefined, description: 'NATS server URL(s), comma-separated; absent = embedded memory broker' },
  natsStream: { kind: 'string', flag: 'nats-stream', env: 'NATS_STREAM', default: 'ODIN', description: 'JetStream stream holding history over odin.>' },
  natsReplicas: { kind: 'int', flag: 'nats-replicas', env: 'NATS_REPLICAS', default: 1, min: 1, max: 5, description: 'stream replicas (3 on a 3-node cluster)' },
  natsStorage: { kind: 'string', flag: 'nats-storage', env: 'NATS_STORAGE', default: 'file', choices: ['file', 'memory'], description: 'stream storage' },
  streamOwner: { kind: 'bool', flag: 'stream-owner', env: 'STREAM_OWNER', default: false, description: 'this process owns the NATS stream\'s configuration: it updates the stream to its --history-size, --history-max-age and --nats-replicas; without it a process creates an absent stream but refuses to start when an existing one differs' },
  historySize: { kind: 'int', flag: 'history-size', env: 'HISTORY_SIZE', default: undefined, min: 1, max: 1_000_000, description: `messages kept per channel for resume (over NATS: the stream's max_msgs_per_subject) ${describeHistoryDefault('historySize')}` },
  maxChannels: { kind: 'int', flag: 'max-channels', env: 'MAX_CHANNELS', default: 10_000, min: 1, description: 'channels whose history and latest value are kept; past it the least recently published is forgotten' },
  natsLagCheckMs: { kind: 'int', flag: 'nats-lag-check-ms', env: 'NATS_LAG_CHECK_MS', default: 2000, min: 50, description: 'how often the stream is polled for the live consumer\'s lag and a re-created stream' },
  natsLagWindowMs: { kind: 'int', flag: 'nats-lag-window-ms', env: 'NATS_LAG_WINDOW_MS', default: 10_000, min: 100, description: 'how long the live consumer may stay behind the stream before /health is unhealthy and it is restarted' },
  historyMaxBytes: { kind: 'int', flag: 'history-max-bytes', env: 'HISTORY_MAX_BYTES', default: 0, min: 0, description: 'memory broker: bytes of history kept at most, oldest messages evicted first (the latest of each channel is always kept); 0 = a quarter of the memory budget' },
  historyMaxAgeSec: { kind: 'int', flag: 'history-max-age', env: 'HISTORY_MAX_AGE_SEC', default: undefined, min: 1, description: `seconds a message is kept for resume (the latest per channel is always kept; over NATS: the stream's max_age) ${describeHistoryDefault('historyMaxAgeSec')}` },
  maxQueueBytes: { kind: 'int', flag: 'max-queue-bytes', env: 'MAX_QUEUE_BYTES', default: 1_048_576, min: 1024, description: 'outbound bytes queued per client before it is closed as slow (4000)' },
  slowClient: { kind: 'string', flag: 'slow-client', env: 'SLOW_CLIENT', default: 'close', choices: ['close', 'conflate'], description: 'a client over --max-queue-bytes: close it with 4000 (it resumes), or switch its conflatable subscriptions to 1 s conflation (a conflating message; 4000 only for event channels)' },
  compression: { kind: 'string', flag: 'compression', env: 'COMPRESSION', default: 'on', choices: ['on', 'off'], description: 'permessage-deflate for clients that offer it: each batch compressed once, shared by every compressing subscriber' },
  compressionMinBytes: { kind: 'int', flag: 'compression-min-bytes', env: 'COMPRESSION_MIN_BYTES', default: 256, min: 0, description: 'frames smaller than this are sent uncompressed' },
  maxFrameBytes: { kind: 'int', flag: 'max-frame-bytes', env: 'MAX_FRAME_BYTES', default: 16_384, min: 256, max: 16_777_216, description: 'largest client frame accepted (larger closes with 1009)' },
  defaultChannels: { kind: 'string', flag: 'default-channels', env: 'DEFAULT_CHANNELS', default: undefined, description: 'public channels or patterns (comma-separated) every connection receives until it subscribes itself; for reference clients that never subscribe' },
  maxSubscriptions: { kind: 'int', flag: 'max-subscriptions', env: 'MAX_SUBSCRIPTIONS', default: 100, min: 1, description: 'subscriptions per connection' },
  rateLimitBurst: { kind: 'int', flag: 'rate-limit-burst', env: 'RATE_LIMIT_BURST', default: 100, min: 1, description: 'inbound work burst per connection (a frame is one unit, a subscribe or unsubscribe one per entry)' },
  rateLimitPerSec: { kind: 'number', flag: 'rate-limit-per-sec', env: 'RATE_LIMIT_PER_SEC', default: 10, min: 0.01, description: 'inbound work units per second per connection after the burst' },
  abuseBurst: { kind: 'int', flag: 'abuse-burst', env: 'ABUSE_BURST', default: 20, min: 1, description: 'errors a connection may cause in a burst before it is closed (1008)' },
  abusePerSec: { kind: 'number', flag: 'abuse-per-sec', env: 'ABUSE_PER_SEC', default: 1, min: 0.001, description: 'error budget refill per second' },
  connectRatePerIp: { kind: 'number', flag: 'connect-rate-per-ip', env: 'CONNECT_RATE_PER_IP', default: 0, min: 0, description: 'new connections per second per remote address (HTTP 429 over it); 0 = off (behind a proxy all clients share one address)' },
  connectBurstPerIp: { kind: 'int', flag: 'connect-burst-per-ip', env: 'CONNECT_BURST_PER_IP', default: 50, min: 1, description: 'connection burst per remote address when the rate is on' },
  maxConnections: { kind: 'int', flag: 'max-connections', env: 'MAX_CONNECTIONS', default: 0, min: 0, description: 'connection limit; 0 = derived from the memory budget; never above what the open-file limit allows' },
  memoryLimitMb: { kind: 'int', flag: 'memory-limit-mb', env: 'MEMORY_LIMIT_MB', default: 0, min: 0, description: 'memory budget in MiB; 0 = cgroup limit, else 512' },
  connectionBudgetKb: { kind: 'int', flag: 'connection-budget-kb', env: 'CONNECTION_BUDGET_KB', default: 16, min: 1, description: 'memory budgeted per connection when deriving the limit' },
  handshakeTimeoutMs: { kind: 'int', flag: 'handshake-timeout-ms', env: 'HANDSHAKE_TIMEOUT_MS', default: 5000, min: 100, description: 'a socket must send its first complete request (HTTP or upgrade) within this time, else it is closed' },
  maxPendingHandshakes: { kind: 'int', flag: 'max-pending-handshakes', env: 'MAX_PENDING_HANDSHAKES', default: 1024, min: 1, description: 'sockets accepted but not yet past their first request; more are closed at once' },
  metricsPort: { kind: 'int', flag: 'metrics-port', env: 'METRICS_PORT', default: undefined, min: 0, max: 65535, description: 'serve /metrics (and /health, /livez, /readyz) on this separate port, and no longer on the public one; absent = on the public port' },
  metricsHost: { kind: 'string', flag: 'metrics-host', env: 'METRICS_HOST', default: '127.0.0.1', description: 'address of the metrics listener (private by default)' },
  metricsCacheMs: { kind: 'int', flag: 'metrics-cache-ms', env: 'METRICS_CACHE_MS', default: 1000, min: 0, max: 60_000, description: '/metrics is rendered at most once per this interval (0 = every scrape)' },
  pingIntervalMs: { kind: 'int', flag: 'ping-interval-ms', env: 'PING_INTERVAL_MS', default: 25_000, min: 50, description: 'WebSocket ping sweep interval; silent for two intervals = closed' },
  drainSeconds: { kind: 'number', flag: 'drain-seconds', env: 'DRAIN_SECONDS', default: 10, min: 0, max: 3600, description: 'on SIGTERM, clients are asked to move (close 4005 DRAINING) at random times spread over this many seconds, so they do not all reconnect at once' },
  shutdownTimeoutMs: { kind: 'int', flag: 'shutdown-timeout-ms', env: 'SHUTDOWN_TIMEOUT_MS', default: 30_000, min: 0, description: 'how long a stop waits for clients to close after asking the last one (then drops the rest)' },
  jwtSecret: { kind: 'string', flag: 'jwt-secret', env: 'JWT_SECRET', default: undefined, description: 'HS256 secrets for client JWTs, comma-separated (several = rotation); a flag shows in ps: prefer the variable or --jwt-secret-file' },
  jwtSecretFile: { kind: 'string', flag: 'jwt-secret-file', env: 'JWT_SECRET_FILE', default: undefined, description: 'file of HS256 secrets, one per line (# comments); read at start' },
  jwtMinSecretBytes: { kind: 'int', flag: 'jwt-min-secret-bytes', env: 'JWT_MIN_SECRET_BYTES', default: 32, min: 16, max: 1024, description: 'shortest HS256 secret accepted, in bytes (shorter: the gateway refuses to start)' },
  jwtJwksFile: { kind: 'string', flag: 'jwt-jwks-file', env: 'JWT_JWKS_FILE', default: undefined, description: 'JWKS file of public keys (RS256, ES256, EdDSA), picked by kid' },
  jwtJwksUrl: { kind: 'string', flag: 'jwt-jwks-url', env: 'JWT_JWKS_URL', default: undefined, description: 'JWKS URL of public keys, fetched and cached; an unknown kid refetches it (rotation without restart)' },
  jwtJwksCacheSec: { kind: 'int', flag: 'jwt-jwks-cache-sec', env: 'JWT_JWKS_CACHE_SEC', default: 600, min: 0, description: 'how long a fetched JWKS is trusted; a removed key stops working within this' },
  jwtJwksCooldownSec: { kind: 'int', flag: 'jwt-jwks-cooldown-sec', env: 'JWT_JWKS_COOLDOWN_SEC', default: 30, min: 0, description: 'least time between two JWKS fetches (an unknown kid waits this long for the next fetch)' },
  jwtJwksMaxBytes: { kind: 'int', flag: 'jwt-jwks-max-bytes', env: 'JWT_JWKS_MAX_BYTES', default: 262_144, min: 1024, max: 16 * 1024 * 1024, description: 'largest JWKS document fetched from --jwt-jwks-url, in bytes (a larger one is refused without reading it whole, counted and logged)' },
  jwtJwksMaxWaiting: { kind: 'int', flag: 'jwt-jwks-max-waiting', env: 'JWT_JWKS_MAX_WAITING', default: 64, min: 1, description: 'upgrades that may wait for a JWKS fetch in progress; more are refused with HTTP 503 jwks_busy' },
  jwtIssuer: { kind: 'list', flag: 'jwt-issuer', env: 'JWT_ISSUER', default: [], description: 'accepted iss values, comma-separated; empty = iss not checked' },
  jwtAudience: { kind: 'list', flag: 'jwt-audience', env: 'JWT_AUDIENCE', default: [], description: 'accepted aud values, comma-separated; empty = aud not checked' },
  jwtRequireExp: { kind: 'bool', flag: 'jwt-require-exp', env: 'JWT_REQUIRE_EXP', default: true, description: 'refuse tokens without exp' },
  jwtClockToleranceSec: { kind: 'int', flag: 'jwt-clock-tolerance-sec', env: 'JWT_CLOCK_TOLERANCE_SEC', default: 5, min: 0, max: 300, description: 'clock skew allowed on exp, nbf and iat; a connection closes at exp plus this' },
  jwtChannelsClaim: { kind: 'string', flag: 'jwt-channels-claim', env: 'JWT_CHANNELS_CLAIM', default: 'channels', description: 'claim holding extra channels or patterns the token may read (never another user\'s private channel)' },
  // The documented families by default, so a misspelt name (tokens.BTC.price) is answered, not silent; `>` opts in to channels of your own.
  channelFamilies: { kind: 'list', flag: 'channel-families', env: 'CHANNEL_FAMILIES', default: [...DOCUMENTED_CHANNEL_FAMILIES], description: "the channel names this gateway carries, as patterns, comma-separated; a subscribe or publish outside them gets UNKNOWN_CHANNEL. Default: the documented families; > = any name (channels of your own); a name starting with odin. is refused always" },
  publicChannels: { kind: 'list', flag: 'public-channels', env: 'PUBLIC_CHANNELS', default: ['>'], description: 'channels and patterns any admitted connection may read, comma-separated; none = only what tokens grant' },
  authRequired: { kind: 'bool', flag: 'auth-required', env: 'AUTH_REQUIRED', default: false, description: 'refuse anonymous connections (4003)' },
  allowedOrigins: { kind: 'list', flag: 'allowed-origins', env: 'ALLOWED_ORIGINS', default: [], description: 'browser origins allowed to open a WebSocket and to import /sdk/ cross-origin (CORS), comma-separated (others: HTTP 403); empty = any' },
  apiKeys: { kind: 'list', flag: 'api-key', env: 'API_KEYS', default: [], description: 'server API keys (comma-separated, 16+ characters each); without any key (here or in --api-key-file) /api/ is off (404)' },
  apiKeyFile: { kind: 'string', flag: 'api-key-file', env: 'API_KEY_FILE', default: undefined, description: 'file with more server API keys, one per line (# comments), read at start' },
  apiPort: { kind: 'int', flag: 'api-port', env: 'API_PORT', default: undefined, min: 0, max: 65535, description: 'serve /api/ on this separate (admin) listener, and no longer on the public port; absent = on the public port' },
  apiHost: { kind: 'string', flag: 'api-host', env: 'API_HOST', default: '127.0.0.1', description: 'address of the API listener when --api-port is set (private by default)' },
  apiMaxBodyBytes: { kind: 'int', flag: 'api-max-body-bytes', env: 'API_MAX_BODY_BYTES', default: 1_048_576, min: 1024, max: 67_108_864, description: 'largest server API request body (larger: 413 BODY_TOO_LARGE)' },
  apiMaxMessageBytes: { kind: 'int', flag: 'api-max-message-bytes', env: 'API_MAX_MESSAGE_BYTES', default: 65_536, min: 16, max: 16_777_216, description: 'largest `data` of one published message, as JSON (larger: 413 MESSAGE_TOO_LARGE)' },
  apiMaxBatch: { kind: 'int', flag: 'api-max-batch', env: 'API_MAX_BATCH', default: 1000, min: 1, max: 100_000, description: 'messages per batch publish (more: 413 BATCH_TOO_LARGE)' },
  instanceId: { kind: 'string', flag: 'instance-id', env: 'INSTANCE_ID', default: undefined, description: 'name of this instance in logs and metrics [default: host-pid]' },
  workers: { kind: 'int', flag: 'workers', env: 'WORKERS', default: 1, min: 1, max: 64, description: 'gateway processes sharing the port (needs NATS when > 1)' },
  reusePort: { kind: 'bool', flag: 'reuse-port', env: 'REUSE_PORT', default: false, description: 'with --workers: each worker binds the port itself (SO_REUSEPORT, the kernel spreads connections) instead of the primary accepting for all; needs Node 22.12+ or 23.1+ and a fixed --port' },
  natsUser: { kind: 'string', flag: 'nats-user', env: 'NATS_USER', default: undefined, description: 'NATS user name (with a password)' },
  natsPassword: { kind: 'string', flag: 'nats-password', env: 'NATS_PASSWORD', default: undefined, description: 'NATS password; a flag shows in ps: prefer the variable or --nats-password-file' },
  natsPasswordFile: { kind: 'string', flag: 'nats-password-file', env: 'NATS_PASSWORD_FILE', default: undefined, description: 'file holding the NATS password' },
  natsToken: { kind: 'string', flag: 'nats-token', env: 'NATS_TOKEN', default: undefined, description: 'NATS authentication token' },
  natsNkeySeedFile: { kind: 'string', flag: 'nats-nkey-seed-file', env: 'NATS_NKEY_SEED_FILE', default: undefined, description: 'file holding a NATS user nkey seed (SU...)' },
  natsCredsFile: { kind: 'string', flag: 'nats-creds-file', env: 'NATS_CREDS_FILE', default: undefined, description: 'NATS credentials file (user JWT and nkey seed)' },
  natsTlsCa: { kind: 'string', flag: 'nats-tls-ca', env: 'NATS_TLS_CA', default: undefined, description: 'CA certificate file to verify the NATS server (turns TLS on)' },
  logLevel: { kind: 'string', flag: 'log-level', env: 'LOG_LEVEL', default: 'info', choices: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], description: 'log level' },
  logFormat: { kind: 'string', flag: 'log-format', env: 'LOG_FORMAT', default: 'auto', choices: LOG_FORMATS, description: 'log lines: json (one JSON object per line, for Loki and jq), pretty (one readable line per record), or auto = pretty when stdout is a terminal, else json' },
} satisfies OptionTable;

/**
 * How a process reaches NATS and which stream settings it expects: one group
 * shared by every command that talks to the stream (the publisher, `odin
 * stream`), so a flag means the same thing everywhere.
 */
export const natsStreamOptionTable = {
  natsUrl: gatewayOptionTable.natsUrl,
  natsUser: gatewayOptionTable.natsUser,
  natsPassword: gatewayOptionTable.natsPassword,
  natsPasswordFile: gatewayOptionTable.natsPasswordFile,
  natsToken: gatewayOptionTable.natsToken,
  natsNkeySeedFile: gatewayOptionTable.natsNkeySeedFile,
  natsCredsFile: gatewayOptionTable.natsCredsFile,
  natsTlsCa: gatewayOptionTable.natsTlsCa,
  natsStream: gatewayOptionTable.natsStream,
  natsReplicas: gatewayOptionTable.natsReplicas,
  natsStorage: gatewayOptionTable.natsStorage,
  historySize: gatewayOptionTable.historySize,
  historyMaxAgeSec: gatewayOptionTable.historyMaxAgeSec,
} satisfies OptionTable;

/** historySize and historyMaxAgeSec are resolved per broker (history-defaults.ts). */
export type GatewayConfig = Omit<OptionValues<typeof gatewayOptionTable>, keyof HistoryLimits> & HistoryLimits & { instanceId: string };

export function gatewayConfigFrom(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, extraFlags: readonly string[] = []): GatewayConfig {
  const values = resolveOptions(gatewayOptionTable, argv, env, extraFlags);
  if (values.workers > 1 && !values.natsUrl) {
    throw new ConfigError(`--workers/WORKERS: ${values.workers} workers need a shared broker; set --nats/NATS_URL`);
  }
  if (values.reusePort && !nodeHasReusePort()) {
    throw new ConfigError(`--reuse-port/REUSE_PORT: needs Node 22.12+ or 23.1+ (server.listen's reusePort); this is Node ${process.versions.node}`);
  }
  if (values.reusePort && values.port === 0) {
    throw new ConfigError('--reuse-port/REUSE_PORT: needs a fixed --port (with port 0 every worker would bind a port of its own)');
  }
  if (values.authRequired && !values.jwtSecret && !values.jwtSecretFile && !values.jwtJwksFile && !values.jwtJwksUrl) {
    throw new ConfigError('--auth-required/AUTH_REQUIRED: true needs a key: --jwt-secret, --jwt-secret-file, --jwt-jwks-file or --jwt-jwks-url');
  }
  for (const family of values.channelFamilies) {
    const check = checkChannel(family);
    if (!check.ok) throw new ConfigError(`--channel-families/CHANNEL_FAMILIES: ${JSON.stringify(family)}: ${check.reason}`);
  }
  if (values.channelFamilies.length === 0) throw new ConfigError('--channel-families/CHANNEL_FAMILIES: give at least one pattern (> = any name)');
  if (values.defaultChannels !== undefined) checkDefaultChannels(values.defaultChannels, values.channelFamilies);
  checkNatsCredentials(values);
  const apiKeys = loadApiKeys(values.apiKeys, values.apiKeyFile);
  return { ...values, ...historyLimits(values), apiKeys, instanceId: values.instanceId ?? `${hostname()}-${process.pid}` };
}

/** The shortest server API key accepted: a short key is guessable. */
export const MIN_API_KEY_LENGTH = 16;

/** --api-key plus the lines of --api-key-file, checked. */
function loadApiKeys(fromFlag: string[], file: string | undefined): string[] {
  const keys = [...fromFlag];
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`--api-key-file/API_KEY_FILE: cannot read ${JSON.stringify(file)}: ${(err as Error).message}`);
    }
    for (const line of text.split('\n')) {
      const key = line.trim();
      if (key.length > 0 && !key.startsWith('#')) keys.push(key);
    }
  }
  for (const key of keys) {
    // The key itself is never echoed: only its length.
    if (key.length < MIN_API_KEY_LENGTH) throw new ConfigError(`--api-key/API_KEYS/--api-key-file: a key of ${key.length} characters; at least ${MIN_API_KEY_LENGTH} are needed`);
    if (!/^[\x21-\x7e]+$/.test(key)) throw new ConfigError('--api-key/API_KEYS/--api-key-file: a key has characters other than visible ASCII');
  }
  return keys;
}

/** Default channels must be valid, carried (--channel-families), public (never anyone's private channel) and must not overlap. */
function checkDefaultChannels(list: string, families: readonly string[]): void {
  const channels = defaultChannelList(list);
  for (const [i, channel] of channels.entries()) {
    const check = checkChannel(channel);
    if (!check.ok) throw new ConfigError(`--default-channels/DEFAULT_CHANNELS: ${JSON.stringify(channel)}: ${check.reason}`);
    // A default channel the gateway does not carry would deliver nothing, silently.
    const unknown = unknownChannelReason(channel, families);
    if (unknown !== undefined) throw new ConfigError(`--default-channels/DEFAULT_CHANNELS: ${JSON.stringify(channel)}: ${unknown} (--channel-families/CHANNEL_FAMILIES)`);
    if (!mayRead(channel, null)) throw new ConfigError(`--default-channels/DEFAULT_CHANNELS: ${JSON.stringify(channel)} could match a private channel`);
    for (const other of channels.slice(0, i)) {
      if (patternsIntersect(channel, other)) throw new ConfigError(`--default-channels/DEFAULT_CHANNELS: ${JSON.stringify(channel)} overlaps ${JSON.stringify(other)}`);
    }
  }
}

export function defaultChannelList(list: string | undefined): string[] {
  return (list ?? '').split(',').map((c) => c.trim()).filter((c) => c.length > 0);
}

/** server.listen({ reusePort }) exists from Node 22.12 and 23.1 on. */
export function nodeHasReusePort(version: string = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/** Defaults for tests and embedding: every option at its default, overridden by `overrides`. */
export function defaultGatewayConfig(overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  const merged = { ...gatewayConfigFrom([], {}), ...overrides };
  // The history limits follow the broker the overrides pick, as they would from the command line.
  const limits = historyLimits({ natsUrl: merged.natsUrl, historySize: overrides.historySize, historyMaxAgeSec: overrides.historyMaxAgeSec });
  return { ...merged, ...limits, ...(overrides.historyDefaulted ? { historyDefaulted: overrides.historyDefaulted } : {}) };
}
