// The client frame router: every frame a client sends passes the inbound
// limit, is parsed, and goes to the handler of its type.
import type { RawData } from 'ws';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { parseClientMessage } from '../protocol/client-message-parser.js';
import { ErrorCode } from '@odin-gateway/client/codes';
import type { RequestId } from '@odin-gateway/client/protocol';
import { expireConnection, handleAuth, type AuthContext } from './auth-handler.js';
import type { ClientConnection } from './client-connection.js';
import { handleSubscribe, handleUnsubscribe, type SubscribeContext } from './subscribe-handler.js';

export interface FrameRouterContext {
  metrics: GatewayMetrics;
  logger: Logger;
  subscribe: SubscribeContext;
  auth: AuthContext;
  rateLimitPerSec: number;
  rateLimitBurst: number;
}

function frameText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function frameBytes(data: RawData): number {
  return Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
}

export function routeClientFrame(ctx: FrameRouterContext, conn: ClientConnection, data: RawData, isBinary: boolean): void {
  ctx.metrics.messagesReceived.inc();
  ctx.metrics.bytesReceived.inc(frameBytes(data));
  // A frame costs one unit of the inbound limit; a subscribe or unsubscribe one per entry (below).
  if (!conn.allowWork(1)) return rateLimited(ctx, conn, undefined);
  // The schedule closes at expiry within a few ms; this closes the window between.
  if (conn.closeAt !== 0 && Date.now() >= conn.closeAt) {
    expireConnection(ctx.auth, conn);
    return;
  }
  if (isBinary) {
    conn.sendError(ErrorCode.BINARY_NOT_SUPPORTED, 'send JSON in text frames');
    return;
  }
  const parsed = parseClientMessage(frameText(data));
  if (!parsed.ok) {
    // A reference client's replay is a known request: counted as one (and, a server fault, free).
    if (parsed.code === ErrorCode.REPLAY_NOT_SUPPORTED) ctx.metrics.replayRequests.inc();
    conn.sendError(parsed.code, parsed.message, parsed.id);
    return;
  }
  const message = parsed.message;
  switch (message.type) {
    case 'ping':
    case 'heartbeat':
      conn.send({ type: 'pong', ...(message.id !== undefined ? { id: message.id } : {}), ts: Date.now() });
      return;
    case 'subscribe':
      if (!conn.allowWork(Math.max(0, message.channels.length - 1))) return rateLimited(ctx, conn, message.id);
      return enqueue(ctx, conn, 'subscribe', () => handleSubscribe(ctx.subscribe, conn, message));
    case 'unsubscribe':
      if (!conn.allowWork(Math.max(0, message.channels.length - 1))) return rateLimited(ctx, conn, message.id);
      return enqueue(ctx, conn, 'unsubscribe', () => handleUnsubscribe(ctx.subscribe, conn, message));
    case 'auth':
      // In the request queue: a subscribe sent after an auth runs with the new token's grants.
      return enqueue(ctx, conn, 'auth', () => handleAuth(ctx.auth, conn, message));
  }
}

/** Runs a request after the connection's earlier ones; a throw is logged and closes the connection (1011). */
function enqueue(ctx: FrameRouterContext, conn: ClientConnection, request: string, task: () => Promise<void> | void): void {
  conn.enqueueRequest(task, (err) => ctx.logger.error({ event: 'request_failed', request, session: conn.id, err: String(err) }, `${request} failed`));
}

function rateLimited(ctx: FrameRouterContext, conn: ClientConnection, id: RequestId | undefined): void {
  ctx.metrics.rateLimited.inc();
  const count = conn.countRateLimited();
  // Powers of two: a flood is visible in the logs without flooding them.
  if ((count & (count - 1)) === 0) {
    ctx.logger.warn({ event: 'rate_limited', session: conn.id, count }, 'client over its message rate');
  }
  conn.sendError(
    ErrorCode.RATE_LIMIT_EXCEEDED,
    `more than ${ctx.rateLimitPerSec} units of work/s (burst ${ctx.rateLimitBurst}; a frame is one, a subscribe or unsubscribe one per entry); message dropped`,
    id,
  );
}
