// The publisher's HTTP control API, compatible with the reference's:
//   POST /control {action: start|stop|configure, messagesPerSecond?, duration?, tokens?}
//   GET /stats, GET /health, GET /metrics (Prometheus text).
// Bodies are validated; a bad one gets 400 with a message naming the field.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Broker } from '../broker/broker.js';
import type { Logger } from '../observability/logger.js';
import { ControlRequestError, parseControlRequest } from './control-request.js';
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
}

export class ControlApi {
  private readonly server: Server;
  private readonly startedAt = Date.now();

  constructor(private readonly options: ControlApiOptions) {
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
      if (req.method === 'OPTIONS') return reply(res, 204, undefined);
      if (path === '/control') {
        if (req.method !== 'POST') return reply(res, 405, { success: false, message: 'use POST /control' }, { allow: 'POST' });
        return await this.control(req, res);
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, { success: false, message: `use GET ${path}` }, { allow: 'GET, HEAD' });
      if (path === '/stats') return reply(res, 200, this.statsBody());
      if (path === '/health') return this.health(res);
      if (path === '/metrics') {
        const text = await this.options.registry.metrics();
        res.writeHead(200, { 'content-type': this.options.registry.contentType }).end(text);
        return;
      }
      reply(res, 404, { success: false, message: `not found: ${req.method} ${path}; try POST /control, GET /stats, GET /health, GET /metrics` });
    } catch (err) {
      this.options.logger.error({ event: 'control_api_error', path, err: String(err) }, 'control API handler failed');
      if (!res.headersSent) reply(res, 500, { success: false, message: 'internal error' });
    }
  }

  private async control(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let command;
    try {
      command = parseControlRequest(parseJson(await readBody(req)));
    } catch (err) {
      if (err instanceof ControlRequestError || err instanceof BodyTooLargeError) {
        return reply(res, err instanceof BodyTooLargeError ? 413 : 400, { success: false, message: err.message });
      }
      throw err;
    }
    const service = this.options.service;
    const { action, change } = command;
    this.options.logger.info({ event: 'control_request', action, change }, `control: ${action}`);
    if (action === 'start') {
      const started = service.start(change);
      return reply(res, 200, {
        success: true,
        message: started ? 'Publishing started' : 'Already publishing; configuration applied',
        stats: service.stats(),
        activeTokens: service.activeTokens,
        configuration: service.configuration,
      });
    }
    if (action === 'stop') {
      service.configure(change);
      const stopped = service.stop();
      return reply(res, 200, { success: true, message: stopped ? 'Publishing stopped' : 'Not publishing', stats: service.stats() });
    }
    service.configure(change);
    return reply(res, 200, {
      success: true,
      message: service.isPublishing ? 'Configuration updated; publishing at the new rate now' : 'Configuration updated; applies at the next start',
      activeTokens: service.activeTokens,
      configuration: service.configuration,
    });
  }

  private statsBody(): Record<string, unknown> {
    const service = this.options.service;
    return { success: true, stats: service.stats(), isPublishing: service.isPublishing, activeTokens: service.activeTokens, configuration: service.configuration };
  }

  private health(res: ServerResponse): void {
    const broker = this.options.broker;
    const status = broker.status();
    const healthy = status === 'connected';
    reply(res, healthy ? 200 : 503, {
      status: healthy ? 'healthy' : 'unhealthy',
      healthy,
      isPublishing: this.options.service.isPublishing,
      checks: { broker: { kind: broker.kind, status } },
      errors: healthy ? [] : [`broker ${status}`],
      uptime: Math.round((Date.now() - this.startedAt) / 1000),
    });
  }
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  // Browsers (a dashboard, the demo page) may drive the publisher from another origin.
  const common = { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'GET, POST, OPTIONS', 'access-control-allow-headers': 'content-type', ...headers };
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
