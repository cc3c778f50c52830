// The SSE transport (docs/sse.md) behind the small WebSocket interface the
// client drives, for networks where WebSocket cannot connect. A stream's
// channels are fixed by its URL and its positions by the `Last-Event-ID`
// cursor, both built by the client from its subscriptions when it opens
// the stream; a stream cannot carry requests, so the client reopens it
// (resuming from its positions) when its channels or its token change.
//
// Over fetch, not EventSource: fetch can send `Authorization` and a
// `Last-Event-ID` of our choosing on the first request, and report the HTTP
// status of a refusal. The event-stream parser is a few lines (WHATWG HTML
// "Server-sent events", 9.2.6) and keeps the SDK free of dependencies, as
// its files are served to browsers as they are.
import { CloseCode } from './close-codes.js';
import type { WebSocketLike } from './odin-client.js';

export type FetchLike = (url: string, init: { headers: Record<string, string>; signal: AbortSignal; cache?: 'no-store' }) => Promise<{
  status: number;
  body: { getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> } } | null;
  text(): Promise<string>;
}>;

export interface SseStreamRequest {
  /** The stream's channels list, in order (its cursor's order). */
  channels: readonly string[];
  /** The cursor to resume from, when any subscription has a position. */
  lastEventId?: string;
  token?: string;
  conflate?: number;
}

interface Position {
  seq: number;
  epoch: string;
}

/**
 * The cursor (docs/sse.md, "Cursor") for `positions`, one per channel of the
 * list: `<seq>-<seq>-...@<epoch>`, seqs in base 36, empty where there is no
 * position. Positions share the broker's one epoch; one of another epoch
 * (none expected) is left empty, so that entry is subscribed fresh.
 */
export function sseCursor(positions: ReadonlyArray<Position | undefined>): string | undefined {
  const epoch = positions.find((p) => p !== undefined)?.epoch;
  if (epoch === undefined) return undefined;
  return `${positions.map((p) => (p && p.epoch === epoch ? p.seq.toString(36) : '')).join('-')}@${epoch}`;
}

/** The `/sse` URL next to a WebSocket URL: ws -> http, wss -> https, a trailing `/ws` -> `/sse`. */
export function sseUrlFor(wsUrl: string): string {
  const u = new URL(wsUrl);
  u.protocol = u.protocol === 'wss:' ? 'https:' : u.protocol === 'ws:' ? 'http:' : u.protocol;
  u.pathname = u.pathname.endsWith('/ws') ? `${u.pathname.slice(0, -3)}/sse` : '/sse';
  u.search = '';
  return u.toString();
}

/** The close code a refused stream stands for (docs/sse.md, refusals), so the reconnect policy treats it as the WebSocket refusal. */
function closeCodeOf(status: number): number {
  if (status === 401) return CloseCode.UNAUTHORIZED;
  if (status === 429 || status === 503) return CloseCode.TRY_AGAIN_LATER;
  // 400, 403, 405: the request itself was refused; repeating it at once would be refused again.
  return CloseCode.POLICY_VIOLATION;
}

/** Answers to a subscribe entry: their `id` is the stream's, rewritten to the client's request. */
const ANSWERS = new Set(['replaying', 'subscribed', 'odin-error']);

export class SseSocket implements WebSocketLike {
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  readonly channels: readonly string[];
  private readonly abort = new AbortController();
  /** The client's subscribe request id per channel of the stream. */
  private readonly requestIds = new Map<string, number>();
  /** The stream's `close` event, when one came before the end. */
  private closeEvent: { code: number; reason: string } | undefined;
  private finished = false;

  constructor(baseUrl: string, request: SseStreamRequest, fetchImpl: FetchLike) {
    this.channels = [...request.channels];
    const u = new URL(baseUrl);
    u.searchParams.set('channels', this.channels.join(','));
    if (request.conflate !== undefined) u.searchParams.set('conflate', String(request.conflate));
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (request.lastEventId !== undefined) headers['last-event-id'] = request.lastEventId;
    if (request.token !== undefined) headers.authorization = `Bearer ${request.token}`;
    void this.run(u.toString(), headers, fetchImpl);
  }

  /** Subscribe requests only name the stream's entries: their answers are matched to them. Nothing else can be sent on a stream. */
  send(data: string): void {
    let m: { type?: unknown; id?: unknown; channels?: unknown };
    try {
      m = JSON.parse(data) as typeof m;
    } catch {
      return;
    }
    if (m.type !== 'subscribe' || typeof m.id !== 'number' || !Array.isArray(m.channels)) return;
    for (const entry of m.channels as unknown[]) {
      const channel = typeof entry === 'string' ? entry : (entry as { channel?: unknown }).channel;
      if (typeof channel === 'string') this.requestIds.set(channel, m.id);
    }
  }

  close(): void {
    this.finish(CloseCode.NORMAL, 'closed by the client');
  }

  private async run(url: string, headers: Record<string, string>, fetchImpl: FetchLike): Promise<void> {
    try {
      const res = await fetchImpl(url, { headers, signal: this.abort.signal, cache: 'no-store' });
      if (res.status !== 200 || !res.body) {
        const body = await res.text().catch(() => '');
        return this.finish(closeCodeOf(res.status), `SSE refused: HTTP ${res.status} ${body.slice(0, 200)}`);
      }
      this.readyState = 1;
      this.onopen?.({});
      await this.read(res.body.getReader());
      this.finish(this.closeEvent?.code ?? CloseCode.ABNORMAL, this.closeEvent?.reason ?? 'the stream ended');
    } catch (err) {
      this.finish(CloseCode.ABNORMAL, `SSE stream failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private async read(reader: { read(): Promise<{ done: boolean; value?: Uint8Array }> }): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    let event = '';
    let data: string[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done || this.finished) return;
      buffer += decoder.decode(value, { stream: true });
      for (let nl = buffer.search(/\r\n|\r|\n/); nl >= 0; nl = buffer.search(/\r\n|\r|\n/)) {
        // A CR at the very end may be the first half of a CRLF: wait for more.
        if (buffer[nl] === '\r' && nl === buffer.length - 1) break;
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
        if (line === '') {
          if (data.length > 0) this.dispatch(event || 'message', data.join('\n'));
          event = '';
          data = [];
          if (this.finished) return;
        } else if (line.startsWith(':')) {
          // A heartbeat comment: a sign of life, nothing to deliver.
          this.onmessage?.({ data: null });
        } else {
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1));
          if (field === 'event') event = value;
          else if (field === 'data') data.push(value);
          // id (the cursor) and retry: the client keeps positions itself and has its own reconnect policy.
        }
      }
    }
  }

  private dispatch(event: string, data: string): void {
    if (event === 'close') {
      try {
        const c = JSON.parse(data) as { code?: unknown; reason?: unknown };
        if (typeof c.code === 'number') this.closeEvent = { code: c.code, reason: typeof c.reason === 'string' ? c.reason : '' };
      } catch {
        // a close event that is not JSON still ends the stream
      }
      return;
    }
    if (event !== 'message' && event !== 'welcome' && !ANSWERS.has(event)) return;
    if (ANSWERS.has(event)) data = this.withRequestId(data);
    this.onmessage?.({ data });
  }

  private withRequestId(data: string): string {
    try {
      const m = JSON.parse(data) as { channel?: unknown; id?: unknown };
      const id = typeof m.channel === 'string' ? this.requestIds.get(m.channel) : undefined;
      if (id === undefined) return data;
      m.id = id;
      return JSON.stringify(m);
    } catch {
      return data;
    }
  }

  private finish(code: number, reason: string): void {
    if (this.finished) return;
    this.finished = true;
    this.readyState = 3;
    this.abort.abort();
    this.onclose?.({ code, reason });
  }
}
