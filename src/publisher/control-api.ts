// The publisher's HTTP control API, compatible with the reference's:
//   POST /control {action: start|stop|configure, messagesPerSecond?, duration?, tokens?}
//   GET /stats, GET /health, GET /metrics (Prometheus text).
// POST /control needs `Authorization: Bearer <control token>` and a JSON body
// (415 otherwise); browsers get CORS only for the configured origins, and a
// request from any other origin is refused (403), so no web page can drive
// the publisher. Bodies are validated; a bad one gets 400 naming the field.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Broker } from '../broker/broker.js';
import type { Logger } from '../observability/logger.js';
import { createControlApiMetrics, type ControlApiMetrics } from '../observability/metrics.js';
import { ControlRequestError, parseControlRequest } from './control-request.js';
import { tokensMatch } from './control-token.js';
import type { PublisherService } from './publisher-service.js';

/** A control request is a few hundred bytes; anything this large is a mistake or abuse. */
const MAX_BODY_BYTES = 64 * 1024;

class BodyTooLargeError extends Error {
  constructor() {
    super(`body: larger than ${MAX_BODY_BYTES} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

export interface ControlApiOptions {
  port: number;
  host: string;
  service: PublisherService;
  broker: Broker;
  registry: Registry;
  logger: Logger;
  /** The bearer token POST /control requires. */
  token: string;
  /** Browser origins allowed to call the API (CORS); any other Origin is refused. */
  allowedOrigins?: readonly string[];
}

/** Origins compare as browsers send them: scheme://host[:port], lower case, no trailing slash. */
function normaliseOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, '');
}

export class ControlApi {
  private readonly server: Server;
  private readonly startedAt = Date.now();
  private readonly allowedOrigins: ReadonlySet<string>;
  private readonly metrics: ControlApiMetrics;

  constructor(private readonly options: ControlApiOptions) {
    this.allowedOrigins = new Set((options.allowedOrigins ?? []).map(normaliseOrigin));
    this.metrics = createControlApiMetrics(options.registry);
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  /** Listens; resolves with the bound port, rejects (e.g. EADDRINUSE) when it cannot. */
  async start(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.options.logger.info({ event: 'control_api_started', port: this.port, host: this.options.host }, `publisher control API on ${this.options.host}:${this.port}`);
    return this.port;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://publisher').pathname;
    try {
      // Browsers send Origin on every cross-origin request (and on same-origin POSTs):
      // one that is not allowed is refused before anything runs.
      const origin = req.headers.origin;
      const cors = origin !== undefined && this.allowedOrigins.has(normaliseOrigin(origin)) ? corsHeaders(origin) : {};
      if (origin !== undefined && !('access-control-allow-origin' in cors)) {
        return this.refuse(res, 403, 'origin', `origin ${JSON.stringify(origin.slice(0, 100))} may not call the control API (--control-allowed-origins)`);
      }
      if (req.method === 'OPTIONS') return reply(res, 204, undefined, cors);
      if (path === '/control') {
        if (req.method !== 'POST') return reply(res, 405, { success: false, message: 'use POST /control' }, { allow: 'POST', ...cors });
        // JSON only: a form or text/plain body is what a page can send without a preflight.
        const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        if (type !== 'application/json') return this.refuse(res, 415, 'media_type', `send the body as application/json (got ${JSON.stringify(type.slice(0, 60) || null)})`, cors);
        if (!this.authorized(req)) {
          return this.refuse(res, 401, 'unauthorized', 'send Authorization: Bearer <control token> (--control-token, CONTROL_TOKEN or --control-token-file)', { 'www-authenticate': 'Bearer realm="odin-publisher"', ...cors });
        }
        return await this.control(req, res, cors);
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, { success: false, message: `use GET ${path}` }, { allow: 'GET, HEAD', ...cors });
      if (path === '/stats') return reply(res, 200, this.statsBody(), cors);
      if (path === '/health') return this.health(res, cors);
      if (path === '/metrics') {
        const text = await this.options.registry.metrics();
        res.writeHead(200, { 'content-type': this.options.registry.contentType, ...cors }).end(text);
        return;
      }
      reply(res, 404, { success: false, message: `not found: ${req.method} ${path}; try POST /control, GET /stats, GET /health, GET /metrics` }, cors);
    } catch (err) {
      this.options.logger.error({ event: 'control_api_error', path, err: String(err) }, 'control API handler failed');
      if (!res.headersSent) reply(res, 500, { success: false, message: 'internal error' });
    }
  }

  private authorized(req: IncomingMessage): boolean {
    const match = /^bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    return match !== null && tokensMatch(match[1]!, this.options.token);
  }

  private refuse(res: ServerResponse, status: number, reason: string, message: string, headers: Record<string, string> = {}): void {
    this.metrics.refused.inc({ reason });
    this.options.logger.warn({ event: 'control_refused', reason, status }, `control API: ${message}`);
    reply(res, status, { success: false, error: reason, message }, headers);
  }

  private async control(req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): Promise<void> {
    let command;
    try {
      command = parseControlRequest(parseJson(await readBody(req)));
    } catch (err) {
      if (err instanceof ControlRequestError || err instanceof BodyTooLargeError) {
        return reply(res, err instanceof BodyTooLargeError ? 413 : 400, { success: false, message: err.message }, cors);
      }
      throw err;
    }
    const service = this.options.service;
    const { action, change } = command;
    const ignored = command.ignored.length > 0 ? { ignored: command.ignored } : {};
    this.options.logger.info({ event: 'control_request', action, change }, `control: ${action}`);
    if (action === 'start') {
      const started = service.start(change);
      return reply(res, 200, {
        success: true,
        message: started ? 'Publishing started' : 'Already publishing; configuration applied',
        ...ignored,
        stats: service.stats(),
        activeTokens: service.activeTokens,
        configuration: service.configuration,
      }, cors);
    }
    if (action === 'stop') {
      service.configure(change);
      const stopped = service.stop();
      return reply(res, 200, { success: true, message: stopped ? 'Publishing stopped' : 'Not publishing', ...ignored, stats: service.stats() }, cors);
    }
    service.configure(change);
    return reply(res, 200, {
      success: true,
      message: service.isPublishing ? 'Configuration updated; publishing at the new rate now' : 'Configuration updated; applies at the next start',
      ...ignored,
      activeTokens: service.activeTokens,
      configuration: service.configuration,
    }, cors);
  }

  private statsBody(): Record<string, unknown> {
    const service = this.options.service;
    return { success: true, stats: service.stats(), isPublishing: service.isPublishing, activeTokens: service.activeTokens, configuration: service.configuration };
  }

  private health(res: ServerResponse, cors: Record<string, string>): void {
    const broker = this.options.broker;
    const status = broker.status();
    const healthy = status === 'connected';
    // The reference's fields (status, nats, publishing, uptime in ms) beside Odin's.
    reply(res, healthy ? 200 : 503, {
      status: healthy ? 'healthy' : 'unhealthy',
      healthy,
      nats: status === 'connected' ? 'connected' : 'disconnected',
      publishing: this.options.service.isPublishing,
      isPublishing: this.options.service.isPublishing,
      checks: { broker: { kind: broker.kind, status } },
      errors: healthy ? [] : [`broker ${status}`],
      uptime: Date.now() - this.startedAt,
      uptimeSec: Math.round((Date.now() - this.startedAt) / 1000),
    }, cors);
  }
}

/** CORS headers for an allowed origin (never `*`: the API is not for every page). */
function corsHeaders(origin: string): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'access-control-allow-headers': 'content-type, authorization',
    'access-control-max-age': '600',
    vary: 'Origin',
  };
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const common = headers;
  if (body === undefined) {
    res.writeHead(status, common).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', ...common }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  if (text.trim() === '') throw new ControlRequestError('body', 'is empty; send JSON such as {"action":"start"}');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ControlRequestError('body', `is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}
