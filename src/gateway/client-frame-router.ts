// The client frame router: every frame a client sends passes the inbound
// limit, is parsed, and goes to the handler of its type.
import type { RawData } from 'ws';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { parseClientMessage } from '../protocol/client-message-parser.js';
import { CloseCode, ErrorCode } from '../protocol/codes.js';
import type { ClientConnection } from './client-connection.js';
import { handleSubscribe, handleUnsubscribe, type SubscribeContext } from './subscribe-handler.js';

export interface FrameRouterContext {
  metrics: GatewayMetrics;
  logger: Logger;
  subscribe: SubscribeContext;
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
  if (!conn.allowMessage()) {
    ctx.metrics.rateLimited.inc();
    conn.rateLimitedCount++;
    // Powers of two: a flood is visible in the logs without flooding them.
    if ((conn.rateLimitedCount & (conn.rateLimitedCount - 1)) === 0) {
      ctx.logger.warn({ event: 'rate_limited', session: conn.id, count: conn.rateLimitedCount }, 'client over its message rate');
    }
    conn.sendError(ErrorCode.RATE_LIMIT_EXCEEDED, `more than ${ctx.rateLimitPerSec} messages/s (burst ${ctx.rateLimitBurst}); message dropped`);
    return;
  }
  if (isBinary) {
    conn.sendError(ErrorCode.BINARY_NOT_SUPPORTED, 'send JSON in text frames');
    return;
  }
  const parsed = parseClientMessage(frameText(data));
  if (!parsed.ok) {
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
      handleSubscribe(ctx.subscribe, conn, message).catch((err: unknown) => {
        ctx.logger.error({ event: 'subscribe_failed', session: conn.id, err: String(err) }, 'subscribe failed');
        conn.close(CloseCode.INTERNAL_ERROR);
      });
      return;
    case 'unsubscribe':
      handleUnsubscribe(ctx.subscribe, conn, message);
      return;
  }
}
