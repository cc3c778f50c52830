// Every setting of `odin load`, with its flag, environment variable and
// default. Presets (light, medium, heavy) fill connections and duration when
// the flags leave them unset.
import { ConfigError, resolveOptions, type OptionTable, type OptionValues } from './option-parser.js';

export const LOAD_PRESETS = {
  light: { connections: 100, durationSec: 30 },
  medium: { connections: 500, durationSec: 60 },
  heavy: { connections: 2000, durationSec: 120 },
  custom: { connections: 100, durationSec: 30 },
  attack: { connections: 50, durationSec: 30 },
} as const;

export type LoadMode = keyof typeof LOAD_PRESETS | 'realistic';
export const LOAD_MODES: readonly LoadMode[] = ['light', 'medium', 'heavy', 'custom', 'attack', 'realistic'];

/** What `odin load attack --attack` can do (src/load/attackers.ts). */
export const ATTACK_KINDS = ['idle-sockets', 'slow-handshake', 'metrics-flood', 'upgrade-flood'] as const;
export type AttackKind = (typeof ATTACK_KINDS)[number];

export const DEFAULT_CHANNELS = ['token.BTC.price', 'token.ETH.price', 'token.ODIN.price', 'token.SOL.price', 'token.DOGE.price'];

export const DEFAULT_BOOK_CHANNELS = ['book.BTC', 'book.ETH', 'book.ODIN', 'book.SOL', 'book.DOGE'];

export const loadOptionTable = {
  url: { kind: 'string', flag: 'url', env: 'LOAD_URL', default: 'ws://127.0.0.1:3004/ws', description: 'gateway WebSocket URL (the reference\'s WS_URL is read when LOAD_URL is unset)' },
  protocol: { kind: 'string', flag: 'protocol', env: 'LOAD_PROTOCOL', default: 'odin', choices: ['odin', 'reference'], description: 'odin: subscribe and resume by position; reference: the reference\'s clients (never subscribe, one message per frame, gaps judged by the per-connection seq; run the gateway with --default-channels)' },
  connections: { kind: 'int', flag: 'connections', env: 'CONNECTIONS', default: undefined, min: 1, max: 1_000_000, description: 'connections to open [default: from the preset]' },
  duration: { kind: 'number', flag: 'duration', env: 'DURATION', default: undefined, min: 0.1, description: 'run time in wall-clock seconds, whatever --time-scale [default: from the preset; realistic: 300]' },
  channels: { kind: 'list', flag: 'channels', env: 'LOAD_CHANNELS', default: DEFAULT_CHANNELS, description: 'channels each client subscribes to (realistic: traders pick 1-3, bots all)' },
  bookShare: { kind: 'number', flag: 'book-share', env: 'LOAD_BOOK_SHARE', default: 0.2, min: 0, max: 1, description: 'share of clients that also follow one of --book-channels, keeping a local order book and verifying every checksum (0 = none)' },
  bookChannels: { kind: 'list', flag: 'book-channels', env: 'LOAD_BOOK_CHANNELS', default: DEFAULT_BOOK_CHANNELS, description: 'book channels (book.<TOKEN>) the book-following clients pick one of' },
  ramp: { kind: 'number', flag: 'ramp', env: 'RAMP', default: 500, min: 0.1, description: 'connections opened per second' },
  compression: { kind: 'string', flag: 'compression', env: 'LOAD_COMPRESSION', default: 'off', choices: ['on', 'off'], description: 'on: offer permessage-deflate, as browsers do (the gateway then sends batches compressed; ws inflates them on the thread pool); off: plain frames, the cheaper client' },
  keepalive: { kind: 'number', flag: 'keepalive', env: 'KEEPALIVE_SEC', default: 20, min: 0, description: 'seconds between application pings per client (0 = none)' },
  reconnectDelayMs: { kind: 'int', flag: 'reconnect-delay-ms', env: 'RECONNECT_DELAY_MS', default: 1000, min: 0, description: 'wait before a client closed by the server reconnects and resumes' },
  json: { kind: 'string', flag: 'json', env: 'LOAD_JSON', default: undefined, description: 'write the summary as JSON to this file (- = stdout)' },
  report: { kind: 'string', flag: 'report', env: 'LOAD_REPORT', default: undefined, description: 'write a self-contained HTML report with charts to this file' },
  quiet: { kind: 'bool', flag: 'quiet', env: 'LOAD_QUIET', default: false, description: 'no progress line' },
  target: { kind: 'int', flag: 'target', env: 'LOAD_TARGET_CONNECTIONS', default: 500, min: 1, description: 'realistic: initial target of connections' },
  min: { kind: 'int', flag: 'min', env: 'LOAD_MIN_CONNECTIONS', default: 50, min: 0, description: 'realistic: never shed below this' },
  max: { kind: 'int', flag: 'max', env: 'LOAD_MAX_CONNECTIONS', default: 2000, min: 1, description: 'realistic: never grow above this' },
  timeScale: { kind: 'number', flag: 'time-scale', env: 'TIME_SCALE', default: 1, min: 0.00001, max: 1, description: 'realistic: speed of the simulated day: multiply session lengths, delays and ramp period (0.01 = 100x faster); not --duration' },
  attack: { kind: 'string', flag: 'attack', env: 'LOAD_ATTACK', default: 'idle-sockets', choices: ATTACK_KINDS, description: 'attack: what the hostile clients do beside the --connections well-behaved ones (docs/security.md)' },
  attackers: { kind: 'int', flag: 'attackers', env: 'LOAD_ATTACKERS', default: 200, min: 1, max: 100_000, description: 'attack: hostile clients, each keeping one socket or request going' },
  attackDelay: { kind: 'number', flag: 'attack-delay', env: 'LOAD_ATTACK_DELAY', default: 3, min: 0, description: 'attack: seconds the well-behaved clients run alone first' },
  healthUrl: { kind: 'string', flag: 'health-url', env: 'HEALTH_URL', default: undefined, description: 'realistic: gateway /health [default: from --url]' },
} satisfies OptionTable;

export type LoadConfig = OptionValues<typeof loadOptionTable> & { mode: LoadMode; connections: number; duration: number };

export function loadConfigFrom(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): LoadConfig {
  // The reference's load tools read WS_URL: honoured when LOAD_URL is not set.
  const withAlias = env.LOAD_URL === undefined && env.WS_URL !== undefined ? { ...env, LOAD_URL: env.WS_URL } : env;
  const values = resolveOptions(loadOptionTable, argv, withAlias, [], 1);
  const mode = (values._positionals[0] ?? 'custom') as LoadMode;
  if (!LOAD_MODES.includes(mode)) throw new ConfigError(`unknown load mode ${JSON.stringify(mode)}; one of ${LOAD_MODES.join(', ')}`);
  const preset = mode === 'realistic' ? { connections: values.target, durationSec: 300 } : LOAD_PRESETS[mode];
  const url = new URL(values.url);
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new ConfigError(`--url/LOAD_URL: expected ws:// or wss://, got ${JSON.stringify(values.url)}`);
  // The reference protocol is asked for in the URL (docs/protocol.md), which every client of the run uses.
  if (values.protocol === 'reference') {
    url.searchParams.set('protocol', 'reference');
    values.url = url.toString();
  }
  if (values.min > values.max) throw new ConfigError(`--min (${values.min}) is above --max (${values.max})`);
  if (values.channels.length === 0) throw new ConfigError('--channels/LOAD_CHANNELS: at least one channel');
  const notBook = values.bookChannels.find((c) => !/^book\.[A-Za-z0-9_-]+$/.test(c));
  if (notBook !== undefined) throw new ConfigError(`--book-channels/LOAD_BOOK_CHANNELS: ${JSON.stringify(notBook)} is not a book channel (book.<TOKEN>)`);
  return { ...values, mode, connections: values.connections ?? preset.connections, duration: values.duration ?? preset.durationSec };
}
