// Server API keys: `Authorization: Bearer <key>`, compared in constant time
// (digests of equal length) so that response timing tells nothing of a key.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export class ApiKeys {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest);
  }

  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /** True when the request carries one of the keys. Every key is compared, so the time is the same whichever matches. */
  authorize(req: IncomingMessage): boolean {
    const presented = bearerOf(req.headers.authorization);
    if (presented === undefined) return false;
    const d = digest(presented);
    let ok = false;
    for (const known of this.digests) ok = timingSafeEqual(known, d) || ok;
    return ok;
  }
}

/** The token of `Bearer <token>` (scheme in any case), or undefined. */
export function bearerOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}
