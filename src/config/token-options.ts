// Every setting of `odin token` (a development token from the gateway's own
// secret or a private key). The key settings are the gateway's own specs, so
// JWT_SECRET, JWT_ISSUER, ... mean the same thing to both and a token made
// with the gateway's environment is accepted by that gateway.
import { checkChannel } from '@odin-gateway/client/channels';
import { gatewayOptionTable } from './gateway-options.js';
import { ConfigError, resolveOptions, type OptionTable, type OptionValues } from './option-parser.js';

const SUB_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** A development token lives at most this long: a token that never expires is not something to mint from a shell. */
const MAX_TTL_SEC = 30 * 24 * 3600;

export const tokenOptionTable = {
  sub: { kind: 'string', flag: 'sub', default: undefined, description: 'the user id (1-64 characters of [A-Za-z0-9_-]); required' },
  channels: { kind: 'list', flag: 'channels', default: [], description: 'channels or patterns the token grants beyond the public ones, comma-separated (its private trades.user.<sub> is always granted)' },
  ttl: { kind: 'string', flag: 'ttl', default: '1h', description: 'lifetime: a number of seconds, or with a unit: 30s, 15m, 1h, 7d (at most 30d)' },
  jwtSecret: gatewayOptionTable.jwtSecret,
  jwtSecretFile: gatewayOptionTable.jwtSecretFile,
  jwtMinSecretBytes: gatewayOptionTable.jwtMinSecretBytes,
  privateKeyFile: { kind: 'string', flag: 'private-key-file', env: 'JWT_PRIVATE_KEY_FILE', default: undefined, description: 'sign with this private key instead of a secret: a JWK (JSON, with kid and alg) or a PKCS#8 PEM (then --kid and --alg); its public key must be in the gateway\'s JWKS' },
  kid: { kind: 'string', flag: 'kid', default: undefined, description: 'the key id of a PEM private key (a JWK carries its own)' },
  alg: { kind: 'string', flag: 'alg', default: undefined, choices: ['RS256', 'ES256', 'EdDSA'], description: 'the algorithm of a PEM private key (a JWK carries its own)' },
  jwtIssuer: gatewayOptionTable.jwtIssuer,
  jwtAudience: gatewayOptionTable.jwtAudience,
  jwtChannelsClaim: gatewayOptionTable.jwtChannelsClaim,
} satisfies OptionTable;

export type TokenCliConfig = OptionValues<typeof tokenOptionTable> & { sub: string; ttlSec: number };

/** `90`, `30s`, `15m`, `1h`, `7d` -> seconds. */
export function parseTtl(text: string): number {
  const match = /^(\d+)(s|m|h|d)?$/.exec(text.trim());
  if (!match) throw new ConfigError(`--ttl: ${JSON.stringify(text)} is not a lifetime: a number of seconds, or 30s, 15m, 1h, 7d`);
  const seconds = Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[(match[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  if (seconds < 1 || seconds > MAX_TTL_SEC) throw new ConfigError(`--ttl: ${text} is outside 1s..30d`);
  return seconds;
}

export function tokenConfigFrom(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): TokenCliConfig {
  const values = resolveOptions(tokenOptionTable, argv, env);
  if (values.sub === undefined) throw new ConfigError('--sub: the user id is required (e.g. --sub alice)');
  if (!SUB_PATTERN.test(values.sub)) throw new ConfigError(`--sub: ${JSON.stringify(values.sub.slice(0, 80))} is not 1-64 characters of [A-Za-z0-9_-] (the gateway would refuse the token)`);
  for (const channel of values.channels) {
    const check = checkChannel(channel);
    if (!check.ok) throw new ConfigError(`--channels: ${JSON.stringify(channel.slice(0, 80))}: ${check.reason}`);
  }
  if (values.channels.length > 100) throw new ConfigError('--channels: at most 100 channels (the gateway would refuse the token)');
  const hasSecret = values.jwtSecret !== undefined || values.jwtSecretFile !== undefined;
  if (values.privateKeyFile === undefined && !hasSecret) {
    throw new ConfigError('no key to sign with: set JWT_SECRET (or --jwt-secret-file) as the gateway has it, or --private-key-file for a gateway with public keys');
  }
  return { ...values, sub: values.sub, ttlSec: parseTtl(values.ttl) };
}
