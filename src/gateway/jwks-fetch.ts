// The JWKS URL's fetches, bounded. jose's remote key set caches a fetched
// JWKS and keeps its cooldown after a success, but after a failure the next
// token fetches again at once (33-42 fetches in 0.4 s against a URL answering
// 500), and it reads a document of any size. This fetch, given to jose as
// its `customFetch`, keeps a backoff after each failure (1 s doubling up to
// the cooldown: a handful of fetches per cooldown, however many tokens
// arrive), refuses a document larger than `--jwt-jwks-max-bytes` without
// reading it whole, and checks the document before jose takes it in.
import { JOSEError } from 'jose/errors';

/** A fetch that did not happen or did not give a usable JWKS. jose passes it through to the verifier. */
export class JwksUnavailable extends JOSEError {
  static override code = 'ERR_ODIN_JWKS_UNAVAILABLE';
  override code = 'ERR_ODIN_JWKS_UNAVAILABLE';
  override name = 'JwksUnavailable';
}

/** Results of a fetch attempt, the `result` label of ws_jwks_fetches_total (each series exists from the start, at 0). */
export const JWKS_FETCH_RESULTS = ['ok', 'http_error', 'too_large', 'invalid', 'unreachable', 'backoff'] as const;
export type JwksFetchResult = (typeof JWKS_FETCH_RESULTS)[number];

export interface JwksFetchSettings {
  maxBytes: number;
  /** The cooldown after a success (jose keeps it); the failure backoff grows up to it. */
  cooldownMs: number;
  onResult(result: JwksFetchResult, detail: string | undefined): void;
  now?: () => number;
}

const FIRST_BACKOFF_MS = 1000;

export class JwksFetch {
  private failures = 0;
  private notBefore = 0;
  private readonly now: () => number;

  constructor(private readonly settings: JwksFetchSettings) {
    this.now = settings.now ?? Date.now;
  }

  /** The longest wait after repeated failures: the cooldown, and never less than the first backoff. */
  private get maxBackoffMs(): number {
    return Math.max(FIRST_BACKOFF_MS, this.settings.cooldownMs);
  }

  /** jose's customFetch: same signature as the global fetch. */
  readonly fetch = async (url: string, init: RequestInit): Promise<Response> => {
    const wait = this.notBefore - this.now();
    if (wait > 0) {
      this.settings.onResult('backoff', undefined);
      throw new JwksUnavailable(`JWKS unavailable: the last fetch failed, next attempt in ${Math.ceil(wait / 1000)} s`);
    }
    let body: string;
    try {
      body = await this.read(url, init);
      checkDocument(body);
    } catch (err) {
      const failure = err instanceof FetchFailure ? err : new FetchFailure('unreachable', err instanceof Error ? err.message : String(err));
      this.failures++;
      this.notBefore = this.now() + Math.min(this.maxBackoffMs, FIRST_BACKOFF_MS * 2 ** (this.failures - 1));
      this.settings.onResult(failure.result, failure.message);
      throw new JwksUnavailable(`JWKS unavailable: ${failure.message}`);
    }
    this.failures = 0;
    this.notBefore = 0;
    this.settings.onResult('ok', undefined);
    return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
  };

  private async read(url: string, init: RequestInit): Promise<string> {
    const response = await fetch(url, init);
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new FetchFailure('http_error', `the JWKS URL answered HTTP ${response.status}`);
    }
    const max = this.settings.maxBytes;
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (declared > max) {
      await response.body?.cancel();
      throw new FetchFailure('too_large', `the JWKS document is ${declared} bytes, more than --jwt-jwks-max-bytes (${max})`);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of response.body ?? []) {
      size += (chunk as Uint8Array).byteLength;
      // Leaving the loop cancels the body: the rest is never read.
      if (size > max) throw new FetchFailure('too_large', `the JWKS document is more than --jwt-jwks-max-bytes (${max} bytes)`);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}

class FetchFailure extends Error {
  constructor(
    readonly result: JwksFetchResult,
    message: string,
  ) {
    super(message);
  }
}

/** A JWKS is {"keys": [public keys]}; a private or symmetric key there is a publishing mistake, refused as in a JWKS file. */
function checkDocument(body: string): void {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    throw new FetchFailure('invalid', 'the JWKS document is not JSON');
  }
  const keys = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'object' && k !== null)) throw new FetchFailure('invalid', 'the JWKS document has no "keys" array of objects');
  if (keys.some((k: Record<string, unknown>) => 'd' in k || k.kty === 'oct')) throw new FetchFailure('invalid', 'the JWKS document holds private or symmetric keys');
}
