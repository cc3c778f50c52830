// Who is connecting: a JWT (HS256) from `?token=` or `Authorization: Bearer`.
import type { IncomingMessage } from 'node:http';
import { jwtVerify } from 'jose';

export type Identity = { ok: true; user: string | null } | { ok: false; reason: string };

export function tokenFrom(req: IncomingMessage, url: URL): string | undefined {
  const fromQuery = url.searchParams.get('token');
  if (fromQuery) return fromQuery;
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  return undefined;
}

export async function verifyIdentity(token: string | undefined, secret: Uint8Array | undefined, required: boolean): Promise<Identity> {
  if (!token) return required ? { ok: false, reason: 'token required' } : { ok: true, user: null };
  if (!secret) return { ok: false, reason: 'tokens are not accepted: no JWT secret configured' };
  try {
    const { payload } = await jwtVerify(token, secret, { algorithms: ['HS256'] });
    if (typeof payload.sub !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(payload.sub)) {
      return { ok: false, reason: 'token sub must be 1-64 characters of [A-Za-z0-9_-]' };
    }
    return { ok: true, user: payload.sub };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : 'invalid token' };
  }
}
