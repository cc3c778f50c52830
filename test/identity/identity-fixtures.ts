// Tokens and keys for the identity tests, and a way to ask a real gateway who
// a token makes you: the `welcome` user, or the close code of a refusal.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import WebSocket from 'ws';
import type { ServerMessage } from '@odin-gateway/client/protocol';

export const SECRET_A = 'identity-test-secret-a-0123456789abcdef';
export const SECRET_B = 'identity-test-secret-b-0123456789abcdef';

export interface TokenOptions {
  sub?: string;
  /** Seconds from now; null = no exp at all. */
  expiresIn?: number | null;
  /** Absolute exp (Unix seconds), instead of expiresIn. */
  exp?: number;
  iss?: string;
  aud?: string;
  kid?: string;
  claims?: JWTPayload;
}

function build(o: TokenOptions, alg: string): SignJWT {
  const jwt = new SignJWT({ ...o.claims }).setProtectedHeader({ alg, ...(o.kid ? { kid: o.kid } : {}) }).setSubject(o.sub ?? 'alice').setIssuedAt();
  if (o.exp !== undefined) jwt.setExpirationTime(o.exp);
  else if (o.expiresIn !== null) jwt.setExpirationTime(Math.floor(Date.now() / 1000) + (o.expiresIn ?? 3600));
  if (o.iss) jwt.setIssuer(o.iss);
  if (o.aud) jwt.setAudience(o.aud);
  return jwt;
}

export function hs256(secret: string, o: TokenOptions = {}): Promise<string> {
  return build(o, 'HS256').sign(new TextEncoder().encode(secret));
}

export interface TestKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  sign(o?: TokenOptions): Promise<string>;
}

export async function testKey(alg: 'RS256' | 'ES256' | 'EdDSA', kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk, sign: (o = {}) => build({ ...o, kid }, alg).sign(privateKey) };
}

/**
 * A local HTTP server serving a JWKS the test changes at will; counts fetches.
 * `status` answers another status, `body` another document (sent chunked when
 * `chunked`, without a content-length), `hold` keeps each request waiting
 * until `release()`.
 */
export class JwksServer {
  keys: JWK[] = [];
  fetches = 0;
  status = 200;
  body: string | undefined;
  chunked = false;
  hold = false;
  private held: Array<() => void> = [];
  private server: Server | undefined;
  url = '';

  release(): void {
    this.hold = false;
    for (const answer of this.held.splice(0)) answer();
  }

  async start(): Promise<this> {
    this.server = createServer((_req, res) => {
      this.fetches++;
      const answer = (): void => {
        const body = this.body ?? JSON.stringify({ keys: this.keys });
        if (this.chunked) {
          res.writeHead(this.status, { 'content-type': 'application/json' });
          for (let i = 0; i < body.length; i += 65_536) res.write(body.slice(i, i + 65_536));
          res.end();
        } else {
          res.writeHead(this.status, { 'content-type': 'application/json' }).end(body);
        }
      };
      if (this.hold) this.held.push(answer);
      else answer();
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export type Outcome = { user: string | null; welcome: Extract<ServerMessage, { type: 'welcome' }> } | { closed: number; reason: string } | { http: number };

/** Connects with `token` (query, or a raw Authorization header) and reports the gateway's answer. */
export function identify(url: string, how: { token?: string; authorization?: string; origin?: string } = {}): Promise<Outcome> {
  const target = how.token ? `${url}?token=${encodeURIComponent(how.token)}` : url;
  const headers: Record<string, string> = {};
  if (how.authorization) headers.authorization = how.authorization;
  if (how.origin) headers.origin = how.origin;
  return new Promise((resolve) => {
    const ws = new WebSocket(target, { headers });
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString()) as ServerMessage;
      if (m.type === 'welcome') {
        resolve({ user: m.user, welcome: m });
        ws.close();
      }
    });
    ws.on('close', (code, reason) => resolve({ closed: code, reason: reason.toString() }));
    ws.on('unexpected-response', (_req, res) => {
      resolve({ http: res.statusCode ?? 0 });
      res.resume();
      ws.terminate();
    });
    ws.on('error', () => undefined);
  });
}

export function userOf(outcome: Outcome): string | null | undefined {
  return 'user' in outcome ? outcome.user : undefined;
}
