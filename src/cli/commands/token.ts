// `odin token --sub alice --channels 'trades.user.alice' --ttl 1h`: prints a
// development JWT signed with the gateway's own secret (JWT_SECRET, the first
// one: the current one in a rotation) or a private key, with the issuer and
// audience the gateway checks, so that the token it prints connects.
import { readFileSync } from 'node:fs';
import { importJWK, importPKCS8, SignJWT, type CryptoKey, type JWK } from 'jose';
import { ConfigError } from '../../config/option-parser.js';
import { tokenConfigFrom, tokenOptionTable, type TokenCliConfig } from '../../config/token-options.js';
import { loadSecrets } from '../../gateway/client-identity.js';
import { renderHelp } from '../help.js';
import { warnAboutSecretFlagsOnStderr } from '../secret-flags.js';

export function help(): string {
  return renderHelp({
    usage: ['odin token --sub USER [--channels A,B] [--ttl 1h]'],
    description: `Prints a JWT for development and tests, signed with the key the gateway
uses: its HS256 secret (JWT_SECRET or --jwt-secret-file, the first secret) or
a private key whose public key is in the gateway's JWKS (--private-key-file).
The token carries sub, exp, iat, the channels claim, and the gateway's first
JWT_ISSUER and JWT_AUDIENCE when those are set. Production tokens come from
your identity provider, not from here (docs/identity.md).`,
    sections: [{ title: 'options', table: tokenOptionTable }],
    examples: [
      `JWT_SECRET="$JWT_SECRET" npx odin token --sub alice --channels 'trades.user.alice' --ttl 1h`,
      `TOKEN=$(npx odin token --sub alice) && curl -N "http://127.0.0.1:3004/sse?channels=trades.user.alice&token=$TOKEN"`,
      'npx odin token --sub bob --private-key-file ./keys/signing.jwk.json --ttl 15m',
    ],
  });
}

export async function run(argv: string[]): Promise<void> {
  const config = tokenConfigFrom(argv);
  warnAboutSecretFlagsOnStderr(tokenOptionTable, argv);
  const { key, alg, kid } = await signingKey(config);
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT(config.channels.length > 0 ? { [config.jwtChannelsClaim]: config.channels } : {})
    .setProtectedHeader({ alg, typ: 'JWT', ...(kid !== undefined ? { kid } : {}) })
    .setSubject(config.sub)
    .setIssuedAt(now)
    .setExpirationTime(now + config.ttlSec);
  if (config.jwtIssuer[0] !== undefined) jwt.setIssuer(config.jwtIssuer[0]);
  if (config.jwtAudience[0] !== undefined) jwt.setAudience(config.jwtAudience[0]);
  process.stdout.write(`${await jwt.sign(key)}\n`);
}

async function signingKey(config: TokenCliConfig): Promise<{ key: CryptoKey | Uint8Array; alg: string; kid: string | undefined }> {
  if (config.privateKeyFile === undefined) {
    // The same loading, length check and file format as the gateway's: a secret the gateway would refuse is refused here.
    const [current] = loadSecrets(config);
    if (current === undefined) throw new ConfigError('JWT_SECRET/--jwt-secret-file holds no secret');
    return { key: current, alg: 'HS256', kid: undefined };
  }
  const path = config.privateKeyFile;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`--private-key-file/JWT_PRIVATE_KEY_FILE: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  // Error messages name the file and what was expected, never its contents (it is a private key).
  if (text.trimStart().startsWith('{')) {
    let jwk: JWK;
    try {
      jwk = JSON.parse(text) as JWK;
    } catch {
      throw new ConfigError(`--private-key-file: ${path} is neither a JWK (JSON) nor a PEM; its contents are not shown`);
    }
    const alg = config.alg ?? jwk.alg;
    const kid = config.kid ?? jwk.kid;
    if (alg === undefined || !['RS256', 'ES256', 'EdDSA'].includes(alg)) throw new ConfigError(`--private-key-file: ${path} names no alg RS256, ES256 or EdDSA: give --alg`);
    if (jwk.d === undefined) throw new ConfigError(`--private-key-file: ${path} is a public key; give the private key (the gateway's JWKS holds the public one)`);
    try {
      return { key: (await importJWK(jwk, alg)) as CryptoKey, alg, kid };
    } catch {
      throw new ConfigError(`--private-key-file: ${path} is not a usable ${alg} private key`);
    }
  }
  if (config.alg === undefined) throw new ConfigError('--alg: a PEM key needs its algorithm (RS256, ES256 or EdDSA)');
  try {
    return { key: await importPKCS8(text, config.alg), alg: config.alg, kid: config.kid };
  } catch {
    throw new ConfigError(`--private-key-file: ${path} is not a PKCS#8 PEM ${config.alg} private key; its contents are not shown`);
  }
}
