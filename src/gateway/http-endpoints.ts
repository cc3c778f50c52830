// The gateway's plain HTTP side: /health, /metrics, a hint at /ws, and the
// demo page and SDK files. WebSocket upgrades are handled elsewhere.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '../observability/logger.js';
import type { HealthReport } from './health-report.js';
import { serveStatic } from './static-files.js';

export interface HttpEndpointsContext {
  health(): HealthReport;
  registry: Registry;
  logger: Logger;
  /** The server API (src/api/), when it is served on this listener. */
  api?: { serve(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> } | undefined;
}

export async function serveHttp(ctx: HttpEndpointsContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (ctx.api && url.pathname.startsWith('/api/')) return await ctx.api.serve(req, res, url);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (url.pathname === '/health') {
      const report = ctx.health();
      res.writeHead(report.healthy ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(report));
      return;
    }
    if (url.pathname === '/metrics') {
      const body = await ctx.registry.metrics();
      res.writeHead(200, { 'content-type': ctx.registry.contentType }).end(body);
      return;
    }
    if (url.pathname === '/ws') {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket upgrade required\n');
      return;
    }
    if (await serveStatic(url.pathname, res)) return;
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  } catch (err) {
    ctx.logger.error({ event: 'http_error', err: String(err) }, 'HTTP handler failed');
    if (!res.headersSent) res.writeHead(500).end();
  }
}

const STATUS_TEXT: Record<number, string> = { 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 503: 'Service Unavailable' };

/** Answers a refused WebSocket upgrade on the raw socket (no HTTP response object exists there). */
export function refuseUpgradeResponse(status: number, reason: string): string {
  const text = STATUS_TEXT[status] ?? 'Bad Request';
  return `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${reason.length + 1}\r\n\r\n${reason}\n`;
}
