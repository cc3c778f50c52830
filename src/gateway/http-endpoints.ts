// The gateway's plain HTTP side: /health, /livez, /readyz, /metrics, a hint
// at /ws, and the demo page and SDK files. WebSocket upgrades are handled
// elsewhere. The same handler serves the private metrics listener
// (--metrics-port) with the site turned off.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../observability/logger.js';
import type { WorkerStatus } from './cluster-protocol.js';
import type { HealthReport } from './health-report.js';
import type { MetricsCache } from './metrics-cache.js';
import type { SdkCorsHeaders } from './sdk-cors.js';
import { serveStatic } from './static-files.js';

export interface Readiness {
  ready: boolean;
  /** Why not: broker_starting, broker_disconnected, at_capacity, memory_pressure, shutting_down (and draining while it drains). */
  reasons: string[];
  /** With broker_starting: why the broker has not started yet (e.g. the JetStream error it retries). */
  broker?: string;
  /** With memory_pressure: which signal is over its threshold (memory-pressure.ts). */
  memory?: string;
  /** Under --workers: every worker's state, as the primary last reported it. */
  cluster?: WorkerStatus[];
}

export interface HttpEndpointsContext {
  health(): HealthReport;
  readiness(): Readiness;
  uptimeSec(): number;
  /** Serves /metrics from this cache; undefined = /metrics is not served here (it has its own listener). */
  metrics: MetricsCache | undefined;
  /** The demo page, the SDK files and the /ws hint: on the public port only. */
  site: boolean;
  /** CORS headers for the SDK files, by the request's Origin (src/gateway/sdk-cors.ts). */
  sdkCors?: SdkCorsHeaders;
  logger: Logger;
  /** The server API (src/api/), when it is served on this listener. */
  api?: { serve(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> } | undefined;
  /** Server-Sent Events at /sse (sse/sse-endpoint.ts): on the public port only. */
  sse?: ((req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>) | undefined;
}

/** Sent on every response: browsers must never guess a content type (a JSON body taken for HTML is an XSS). */
const COMMON_HEADERS = { 'x-content-type-options': 'nosniff' } as const;

export async function serveHttp(ctx: HttpEndpointsContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    for (const [name, value] of Object.entries(COMMON_HEADERS)) res.setHeader(name, value);
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (ctx.api && url.pathname.startsWith('/api/')) return await ctx.api.serve(req, res, url);
    if (ctx.sse && ctx.site && url.pathname === '/sse') return await ctx.sse(req, res, url);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    switch (url.pathname) {
      case '/health': {
        const report = ctx.health();
        res.writeHead(report.healthy ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(report));
        return;
      }
      case '/livez':
        // Liveness: the process answers. Nothing else, so a full or broker-less instance is not restarted.
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'alive', uptime: Math.round(ctx.uptimeSec() * 10) / 10 }));
        return;
      case '/readyz': {
        const r = ctx.readiness();
        res.writeHead(r.ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(r));
        return;
      }
      case '/metrics':
        if (!ctx.metrics) break;
        {
          const body = await ctx.metrics.render();
          res.writeHead(200, { 'content-type': ctx.metrics.contentType }).end(body);
        }
        return;
      case '/ws':
        if (!ctx.site) break;
        res.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket upgrade required\n');
        return;
    }
    if (ctx.site && (await serveStatic(url.pathname, res, ctx.sdkCors?.(req.headers.origin)))) return;
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
  return `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nX-Content-Type-Options: nosniff\r\nContent-Length: ${reason.length + 1}\r\n\r\n${reason}\n`;
}
