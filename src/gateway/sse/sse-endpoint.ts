// GET /sse (docs/sse.md): the same channels, auth, limits, Origin checks and
// metrics as /ws, for clients that cannot speak WebSocket (curl, proxies,
// serverless functions) and for browsers' EventSource. A stream is an
// ordinary client connection (client-connection.ts) whose transport writes
// events: it subscribes through the same subscribe path, so resume
// (`since` from the Last-Event-ID cursor), conflation, the byte budget,
// token expiry and shutdown behave exactly as on WebSocket.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { checkChannel } from '@odin-gateway/client/channels';
import { ErrorCode } from '@odin-gateway/client/codes';
import type { SubscribeEntry } from '@odin-gateway/client/protocol';
import { MAX_CONFLATE_MS, MIN_CONFLATE_MS } from '../../protocol/conflation-rules.js';
import { MAX_CHANNELS_PER_REQUEST } from '../../protocol/client-message-parser.js';
import type { ClientConnection } from '../client-connection.js';
import type { Identity } from '../client-identity.js';
import { TOKEN_REASON_TEXT, tokenFrom } from '../client-identity.js';
import { decodeCursor, type SseCursor } from './sse-cursor.js';
import { SseEncoder } from './sse-encoder.js';
import { SseTransport } from './sse-transport.js';

/** What the endpoint needs from the gateway around it. */
export interface SseHost {
  /** Origin, shutdown, per-address rate and capacity, as for upgrades (counted when refused). */
  refusalOf(req: IncomingMessage): { status: number; reason: string } | undefined;
  /** Verifies the stream's token as an upgrade's (anonymous without one, unless tokens are required). */
  identify(token: string | undefined): Promise<Identity>;
  readonly maxSubscriptions: number;
  /** The broker's epoch: a fresh stream's cursor starts in it. */
  epoch(): string;
  /** Counts a refusal that is the endpoint's own (bad request, bad token). */
  refused(reason: 'invalid_stream' | 'unauthorized' | 'jwks_busy'): void;
  /** Makes a connection of the stream (counted, under expiry, welcomed) and returns it. */
  open(transport: SseTransport, socket: Socket, req: IncomingMessage, identity: Extract<Identity, { ok: true }>, encoder: SseEncoder): ClientConnection;
  /** Subscribes the connection's entries through the ordinary subscribe path (its request queue). */
  subscribe(conn: ClientConnection, entries: SubscribeEntry[]): void;
  /** The stream's socket closed. */
  closed(conn: ClientConnection): void;
}

/** The reconnection delay EventSource is told (`retry:`), spread so that a restart's streams do not return at once. */
const RETRY_MIN_MS = 1000;
const RETRY_SPREAD_MS = 2000;

interface StreamRequest {
  channels: string[];
  conflate: number | undefined;
  cursor: SseCursor | undefined;
}

function badRequest(res: ServerResponse, message: string): void {
  res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ code: ErrorCode.INVALID_MESSAGE, message }));
}

/** Parses the query and Last-Event-ID; a string is the reason it is refused (400). */
function streamRequest(req: IncomingMessage, url: URL, maxSubscriptions: number): StreamRequest | string {
  const listed = (url.searchParams.get('channels') ?? '').split(',').map((c) => c.trim()).filter((c) => c.length > 0);
  const channels = [...new Set(listed)];
  const max = Math.min(MAX_CHANNELS_PER_REQUEST, maxSubscriptions);
  if (channels.length === 0 || channels.length > max) return `channels must list 1 to ${max} channel names or patterns, comma-separated`;
  for (const channel of channels) {
    const check = checkChannel(channel);
    if (!check.ok) return `channel ${JSON.stringify(channel.slice(0, 128))}: ${check.reason}`;
  }
  const conflateText = url.searchParams.get('conflate');
  let conflate: number | undefined;
  if (conflateText !== null) {
    conflate = /^\d{1,6}$/.test(conflateText) ? Number(conflateText) : NaN;
    if (!(conflate >= MIN_CONFLATE_MS && conflate <= MAX_CONFLATE_MS)) return `conflate must be an integer number of milliseconds from ${MIN_CONFLATE_MS} to ${MAX_CONFLATE_MS}`;
  }
  const lastEventId = req.headers['last-event-id'];
  let cursor: SseCursor | undefined;
  if (typeof lastEventId === 'string' && lastEventId.length > 0) {
    const decoded = decodeCursor(lastEventId, channels.length);
    if ('error' in decoded) return `Last-Event-ID: ${decoded.error}`;
    cursor = decoded;
  }
  return { channels, conflate, cursor };
}

export async function serveSse(host: SseHost, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  if (req.method !== 'GET') {
    res.writeHead(405, { allow: 'GET' }).end();
    return;
  }
  const refusal = host.refusalOf(req);
  if (refusal) {
    res.writeHead(refusal.status, { 'content-type': 'text/plain' }).end(`${refusal.reason}\n`);
    return;
  }
  const stream = streamRequest(req, url, host.maxSubscriptions);
  if (typeof stream === 'string') {
    host.refused('invalid_stream');
    return badRequest(res, stream);
  }
  const identity = await host.identify(tokenFrom(req, url));
  if (!identity.ok && identity.busy) {
    host.refused('jwks_busy');
    res.writeHead(503, { 'content-type': 'text/plain' }).end('jwks_busy\n');
    return;
  }
  if (!identity.ok) {
    // An HTTP status here (unlike a WebSocket upgrade) is visible to every client, and stops EventSource's reconnecting.
    host.refused('unauthorized');
    res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'UNAUTHORIZED', reason: identity.reason, message: TOKEN_REASON_TEXT[identity.reason] }));
    return;
  }
  const socket = req.socket;
  if (socket.destroyed) return;
  const origin = req.headers.origin;
  // The body is delimited by the end of the connection: the stream is written on the raw socket (no chunked framing).
  res.useChunkedEncodingByDefault = false;
  res.shouldKeepAlive = false;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    // nginx and similar proxies would otherwise buffer the stream.
    'x-accel-buffering': 'no',
    ...(origin !== undefined ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {}),
  });
  res.flushHeaders();
  socket.setNoDelay(true);
  socket.write(`retry: ${RETRY_MIN_MS + Math.floor(Math.random() * RETRY_SPREAD_MS)}\n\n`);

  const encoder = new SseEncoder(stream.channels, stream.cursor, host.epoch());
  const transport = new SseTransport(socket, encoder);
  const conn = host.open(transport, socket, req, identity, encoder);
  transport.onProbe = () => conn.markAlive();
  socket.once('close', () => host.closed(conn));
  const entries = stream.channels.map((channel, i): SubscribeEntry => {
    const seq = stream.cursor?.seqs[i];
    return {
      channel,
      ...(seq !== undefined && stream.cursor ? { since: { seq, epoch: stream.cursor.epoch } } : {}),
      ...(stream.conflate !== undefined ? { conflate: stream.conflate } : {}),
    };
  });
  host.subscribe(conn, entries);
}
