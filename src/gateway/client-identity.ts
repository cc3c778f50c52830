// Who is connecting: a JWT from `?token=`, `Authorization: Bearer` (any case)
// or, on a live connection, an `auth` message. Keys: HS256 secrets (several
// at once, for rotation), and RS256/ES256/EdDSA public keys from a JWKS file
// or URL, picked by `kid`. docs/identity.md is the operator's guide.
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createLocalJWKSet, createRemoteJWKSet, customFetch, decodeProtectedHeader, errors, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import type { GatewayConfig } from '../config/gateway-options.js';
import { ConfigError } from '../config/option-parser.js';
import { checkChannel } from '@odin-gateway/client/channels';
import { TokenReason } from '@odin-gateway/client/codes';
import { MAX_TOKEN_LENGTH } from '../protocol/client-message-parser.js';
import { JwksFetch, JwksUnavailable, type JwksFetchResult } from './jwks-fetch.js';

/** What a verified token says; `expiresAt` is ms since the epoch, 0 = never. */
export interface VerifiedToken {
  ok: true;
  user: string;
  expiresAt: number;
  grants: readonly string[];
}
/**
 * A refused token: `reason` is what the client is told; `detail` is for the server's log only.
 * `busy`: not the token's fault; too many upgrades already wait for a JWKS fetch (HTTP 503 jwks_busy at the upgrade).
 */
export type Refusal = { ok: false; reason: TokenReason; detail: string; busy?: true };
export type Identity = { ok: true; user: string | null; expiresAt: number; grants: readonly string[] } | Refusal;

const ANONYMOUS: Identity = { ok: true, user: null, expiresAt: 0, grants: [] };
const SUB_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** The algorithms public keys may use. HS256 is for the shared secrets only: a public key is never an HMAC secret. */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'ES256', 'EdDSA', 'Ed25519'];
const MAX_GRANTS = 100;

export function tokenFrom(req: IncomingMessage, url: URL): string | undefined {
  const fromQuery = url.searchParams.get('token');
  if (fromQuery) return fromQuery;
  // RFC 7235: the scheme is case-insensitive; `bearer x` is the same as `Bearer x`.
  const match = /^bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

export type KeySettings = Pick<
  GatewayConfig,
  | 'jwtSecret'
  | 'jwtSecretFile'
  | 'jwtMinSecretBytes'
  | 'jwtJwksFile'
  | 'jwtJwksUrl'
  | 'jwtJwksCacheSec'
  | 'jwtJwksCooldownSec'
  | 'jwtJwksMaxBytes'
  | 'jwtJwksMaxWaiting'
  | 'jwtIssuer'
  | 'jwtAudience'
  | 'jwtRequireExp'
  | 'jwtClockToleranceSec'
  | 'jwtChannelsClaim'
>;

/** HS256 secrets from the setting (comma-separated) and the file (one per line, `#` comments). */
export function loadSecrets(s: Pick<KeySettings, 'jwtSecret' | 'jwtSecretFile' | 'jwtMinSecretBytes'>): Uint8Array[] {
  const texts = (s.jwtSecret ?? '').split(',').map((t) => t.trim()).filter((t) => t.length > 0);
  if (s.jwtSecretFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(s.jwtSecretFile, 'utf8');
    } catch (err) {
      throw new ConfigError(`--jwt-secret-file/JWT_SECRET_FILE: cannot read ${s.jwtSecretFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    for (const line of text.split('\n')) {
      const t = line.trim();
      if (t.length > 0 && !t.startsWith('#')) texts.push(t);
    }
  }
  const encoder = new TextEncoder();
  return texts.map((t, i) => {
    const bytes = encoder.encode(t);
    if (bytes.length < s.jwtMinSecretBytes) {
      throw new ConfigError(`JWT secret #${i + 1} is ${bytes.length} bytes; at least ${s.jwtMinSecretBytes} are required (--jwt-min-secret-bytes). Generate one with: openssl rand -base64 48`);
    }
    return bytes;
  });
}

function loadJwksFile(path: string): JWTVerifyGetKey {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`--jwt-jwks-file/JWT_JWKS_FILE: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  let jwks: JSONWebKeySet;
  try {
    jwks = JSON.parse(text) as JSONWebKeySet;
  } catch {
    // JSON.parse's message quotes the file; a wrong file given here may be a secret: its contents are never echoed.
    throw new ConfigError(`--jwt-jwks-file/JWT_JWKS_FILE: ${path} is not valid JSON (a JWKS file is {"keys": [public keys]}; its contents are not shown)`);
  }
  if (!Array.isArray(jwks?.keys)) throw new ConfigError(`--jwt-jwks-file/JWT_JWKS_FILE: ${path} has no "keys" array`);
  if (jwks.keys.some((k) => 'd' in k || k.kty === 'oct')) throw new ConfigError(`--jwt-jwks-file/JWT_JWKS_FILE: ${path} holds private or symmetric keys; publish public keys only`);
  return createLocalJWKSet(jwks);
}

/** What a client is told with each reason: what to fix, nothing about the keys or the expected values. */
export const TOKEN_REASON_TEXT: Readonly<Record<TokenReason, string>> = {
  TOKEN_REQUIRED: 'this gateway requires a token',
  TOKEN_MALFORMED: 'the token is not a well-formed JWT (at most 8192 characters)',
  TOKEN_ALGORITHM_REFUSED: "the token's alg is not one this gateway accepts",
  TOKEN_INVALID_SIGNATURE: "the token's signature does not verify with any of this gateway's keys",
  TOKEN_UNKNOWN_KEY: "the token's kid names no key this gateway has",
  TOKEN_EXPIRED: 'the token has expired: get a fresh one',
  TOKEN_NOT_YET_VALID: 'the token is not valid yet (nbf or iat in the future)',
  TOKEN_WRONG_ISSUER: "the token's iss is not an issuer this gateway accepts",
  TOKEN_WRONG_AUDIENCE: "the token's aud is not an audience this gateway accepts",
  TOKEN_INVALID_CLAIMS: 'a required claim is missing or malformed (exp, sub, or the channels claim)',
  TOKEN_NOT_ACCEPTED: 'this gateway has no token keys: connect without a token',
  TOKEN_KEYS_UNAVAILABLE: "this gateway could not fetch the token's keys: retry later",
};

function refusal(reason: TokenReason, detail: string): Refusal {
  return { ok: false, reason, detail };
}

/** The stable reason of a jose verification error (the detail names the claim, never its value). */
export function refusalOf(err: unknown): Refusal {
  if (err instanceof errors.JWTExpired) return refusal(TokenReason.TOKEN_EXPIRED, 'token expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    const detail = `token claim ${err.claim} ${err.reason === 'missing' ? 'missing' : 'not accepted'}`;
    if (err.claim === 'iss') return refusal(TokenReason.TOKEN_WRONG_ISSUER, detail);
    if (err.claim === 'aud') return refusal(TokenReason.TOKEN_WRONG_AUDIENCE, detail);
    if ((err.claim === 'nbf' || err.claim === 'iat') && err.reason === 'check_failed') return refusal(TokenReason.TOKEN_NOT_YET_VALID, detail);
    return refusal(TokenReason.TOKEN_INVALID_CLAIMS, detail);
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return refusal(TokenReason.TOKEN_INVALID_SIGNATURE, 'signature does not verify');
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) return refusal(TokenReason.TOKEN_UNKNOWN_KEY, "no key with the token's kid");
  if (err instanceof errors.JOSEAlgNotAllowed) return refusal(TokenReason.TOKEN_ALGORITHM_REFUSED, 'algorithm not accepted');
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid || err instanceof errors.JOSENotSupported) return refusal(TokenReason.TOKEN_MALFORMED, 'token is not a well-formed JWT');
  if (err instanceof JwksUnavailable) return refusal(TokenReason.TOKEN_KEYS_UNAVAILABLE, err.message);
  // What is left is fetching the JWKS URL: a timeout, a status other than 200, a body that is not a key set, a network error.
  return refusal(TokenReason.TOKEN_KEYS_UNAVAILABLE, `JWKS unavailable: ${err instanceof Error ? err.message.slice(0, 200) : 'unknown error'}`);
}

/** Thrown instead of waiting when the JWKS fetch in progress already has its fill of waiters. */
class JwksBusy extends Error {}

export class TokenVerifier {
  private readonly secrets: Uint8Array[];
  private readonly localKeys: JWTVerifyGetKey | undefined;
  private readonly remoteKeys: ReturnType<typeof createRemoteJWKSet> | undefined;
  private readonly claims: JWTVerifyOptions;
  /** Verifications using the JWKS URL in flight: while a fetch runs, each of them waits for it. */
  private remoteVerifications = 0;

  constructor(
    private readonly settings: KeySettings,
    onJwksFetch: (result: JwksFetchResult, detail: string | undefined) => void = () => undefined,
  ) {
    this.secrets = loadSecrets(settings);
    this.localKeys = settings.jwtJwksFile !== undefined ? loadJwksFile(settings.jwtJwksFile) : undefined;
    if (settings.jwtJwksUrl !== undefined) {
      let url: URL;
      try {
        url = new URL(settings.jwtJwksUrl);
      } catch {
        throw new ConfigError(`--jwt-jwks-url/JWT_JWKS_URL: ${JSON.stringify(settings.jwtJwksUrl)} is not a URL`);
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError('--jwt-jwks-url/JWT_JWKS_URL: must be an https (or http) URL');
      const guarded = new JwksFetch({ maxBytes: settings.jwtJwksMaxBytes, cooldownMs: settings.jwtJwksCooldownSec * 1000, onResult: onJwksFetch });
      this.remoteKeys = createRemoteJWKSet(url, {
        cacheMaxAge: settings.jwtJwksCacheSec * 1000,
        cooldownDuration: settings.jwtJwksCooldownSec * 1000,
        timeoutDuration: 5000,
        [customFetch]: guarded.fetch,
      });
    }
    this.claims = {
      ...(settings.jwtIssuer.length > 0 ? { issuer: settings.jwtIssuer } : {}),
      ...(settings.jwtAudience.length > 0 ? { audience: settings.jwtAudience } : {}),
      clockTolerance: settings.jwtClockToleranceSec,
      requiredClaims: settings.jwtRequireExp ? ['exp'] : [],
    };
  }

  /** Does any key exist? Without one every token is refused. */
  get hasKeys(): boolean {
    return this.secrets.length > 0 || this.localKeys !== undefined || this.remoteKeys !== undefined;
  }

  /** The identity of an upgrade: anonymous without a token (unless required), else the token's. */
  async identify(token: string | undefined, required: boolean): Promise<Identity> {
    if (!token) return required ? refusal(TokenReason.TOKEN_REQUIRED, 'token required') : ANONYMOUS;
    return this.verify(token);
  }

  async verify(token: string): Promise<VerifiedToken | Refusal> {
    if (!this.hasKeys) return refusal(TokenReason.TOKEN_NOT_ACCEPTED, 'tokens are not accepted: no JWT key configured');
    if (token.length > MAX_TOKEN_LENGTH) return refusal(TokenReason.TOKEN_MALFORMED, `token longer than ${MAX_TOKEN_LENGTH} characters`);
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      return refusal(TokenReason.TOKEN_MALFORMED, 'token is not a JWT');
    }
    try {
      const payload = alg === 'HS256' ? await this.verifyHmac(token) : ASYMMETRIC_ALGORITHMS.includes(alg ?? '') ? await this.verifyPublic(token, alg!) : undefined;
      if (!payload) return refusal(TokenReason.TOKEN_ALGORITHM_REFUSED, `algorithm ${JSON.stringify(alg ?? null).slice(0, 40)} not accepted`);
      return this.identityOf(payload);
    } catch (err) {
      if (err instanceof JwksBusy) return { ...refusal(TokenReason.TOKEN_KEYS_UNAVAILABLE, err.message), busy: true };
      return refusalOf(err);
    }
  }

  /** Tries each secret: during a rotation tokens signed with the old and the new one are both valid. */
  private async verifyHmac(token: string): Promise<JWTPayload | undefined> {
    if (this.secrets.length === 0) return undefined;
    let last: unknown;
    for (const secret of this.secrets) {
      try {
        return (await jwtVerify(token, secret, { ...this.claims, algorithms: ['HS256'] })).payload;
      } catch (err) {
        // Claims are checked after the signature: any other error means this secret signed it.
        if (!(err instanceof errors.JWSSignatureVerificationFailed)) throw err;
        last = err;
      }
    }
    throw last;
  }

  private async verifyPublic(token: string, alg: string): Promise<JWTPayload | undefined> {
    const options = { ...this.claims, algorithms: [alg] };
    if (this.localKeys) {
      try {
        return (await jwtVerify(token, this.localKeys, options)).payload;
      } catch (err) {
        if (!(err instanceof errors.JWKSNoMatchingKey) || !this.remoteKeys) throw err;
      }
    }
    if (!this.remoteKeys) return undefined;
    // A slow JWKS URL must not let tokens that need it (garbage ones included) hold every upgrade slot for its timeout.
    if (this.remoteKeys.reloading && this.remoteVerifications >= this.settings.jwtJwksMaxWaiting) {
      throw new JwksBusy(`JWKS busy: ${this.remoteVerifications} upgrades already wait for its fetch (--jwt-jwks-max-waiting)`);
    }
    this.remoteVerifications++;
    try {
      return (await jwtVerify(token, this.remoteKeys, options)).payload;
    } finally {
      this.remoteVerifications--;
    }
  }

  private identityOf(payload: JWTPayload): VerifiedToken | Refusal {
    if (typeof payload.sub !== 'string' || !SUB_PATTERN.test(payload.sub)) {
      return refusal(TokenReason.TOKEN_INVALID_CLAIMS, 'token sub must be 1-64 characters of [A-Za-z0-9_-]');
    }
    const claim = payload[this.settings.jwtChannelsClaim];
    let grants: string[] = [];
    if (claim !== undefined) {
      if (!Array.isArray(claim) || claim.length > MAX_GRANTS || !claim.every((c) => checkChannel(c).ok)) {
        return refusal(TokenReason.TOKEN_INVALID_CLAIMS, `token claim ${this.settings.jwtChannelsClaim} must be an array of at most ${MAX_GRANTS} channel names or patterns`);
      }
      grants = claim as string[];
    }
    return { ok: true, user: payload.sub, expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : 0, grants };
  }
}
