// The server API under /api/: routing, key check, answers and their metrics,
// the optional admin listener (--api-port), and the disconnect control
// messages from other instances. Endpoints live in api-*.ts, one each.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Broker } from '../broker/broker.js';
import type { GatewayConfig } from '../config/gateway-options.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { readJsonBody } from './api-body.js';
import { channelsEndpoint } from './api-channels.js';
import type { ApiAnswer, ApiContext } from './api-context.js';
import { disconnectEndpoint, DISCONNECT_TOPIC, isDisconnectControl } from './api-disconnect.js';
import { ApiError, ApiErrorStatus } from './api-errors.js';
import { historyEndpoint } from './api-history.js';
import { bookEndpoint } from './api-book.js';
import type { BookAt } from './api-context.js';
import { ApiKeys } from './api-keys.js';
import { openApiDocument } from './openapi.js';
import { publishEndpoint } from './api-publish.js';

/** What the API needs of the gateway's connections. */
export interface ApiConnections {
  /** Closes every connection of `user` on this instance with 4004; returns how many. */
  disconnectUser(user: string): number;
  subscriberCount(channel: string): number;
  book(channel: string, depth: number): Promise<BookAt>;
}

interface Route {
  method: 'GET' | 'POST';
  /** Metric label. */
  endpoint: string;
  handle(api: ServerApi, req: IncomingMessage, url: URL): Promise<ApiAnswer>;
}

const ROUTES: Record<string, Route> = {
  '/api/publish': { method: 'POST', endpoint: 'publish', handle: async (api, req) => publishEndpoint(api.context, await readJsonBody(req, api.context.maxBodyBytes)) },
  '/api/history': { method: 'GET', endpoint: 'history', handle: (api, _req, url) => historyEndpoint(api.context, url.searchParams) },
  '/api/book': { method: 'GET', endpoint: 'book', handle: (api, _req, url) => bookEndpoint(api.context, url.searchParams) },
  '/api/channels': { method: 'GET', endpoint: 'channels', handle: (api, _req, url) => channelsEndpoint(api.context, url.searchParams) },
  '/api/disconnect': { method: 'POST', endpoint: 'disconnect', handle: async (api, req) => disconnectEndpoint(api.context, await readJsonBody(req, api.context.maxBodyBytes), api.origin) },
};
/** Every endpoint that needs a key, as `METHOD /path` (the docs and the OpenAPI document are checked against it). */
export const API_ROUTES = Object.entries(ROUTES).map(([path, r]) => `${r.method} ${path}`);
const ENDPOINTS = [...Object.values(ROUTES).map((r) => r.endpoint), 'openapi', 'other'];

const HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } as const;

export class ServerApi {
  readonly context: ApiContext;
  private readonly keys: ApiKeys;
  private readonly server: Server | undefined;
  private readonly openApiText: string;

  constructor(
    private readonly config: GatewayConfig,
    broker: Broker,
    private readonly connections: ApiConnections,
    private readonly metrics: GatewayMetrics,
    private readonly logger: Logger,
    /** This instance in control messages: it skips its own. */
    readonly origin: string,
  ) {
    this.keys = new ApiKeys(config.apiKeys);
    this.context = {
      broker,
      logger,
      instanceId: config.instanceId,
      maxBodyBytes: config.apiMaxBodyBytes,
      maxMessageBytes: config.apiMaxMessageBytes,
      maxBatch: config.apiMaxBatch,
      channelFamilies: config.channelFamilies,
      subscriberCount: (channel) => connections.subscriberCount(channel),
      book: (channel, depth) => connections.book(channel, depth),
      disconnectLocal: (user) => this.disconnectLocal(user),
      countPublished: (n) => metrics.apiMessagesPublished.inc(n),
    };
    this.openApiText = JSON.stringify(openApiDocument(config));
    // Labelled series exist from the start, so rates have data before the first request.
    for (const endpoint of ENDPOINTS) metrics.apiRequests.inc({ endpoint, code: 'OK' }, 0);
    // Every instance listens, with or without keys: a kick sent through any instance reaches this one.
    broker.onControl((topic, body) => {
      if (topic !== DISCONNECT_TOPIC || !isDisconnectControl(body) || body.origin === this.origin) return;
      const closed = this.disconnectLocal(body.user);
      this.logger.info({ event: 'api_disconnect_remote', user: body.user, closed, origin: body.origin }, 'user disconnected at the request of another instance');
    });
    if (config.apiPort !== undefined && this.keys.enabled) {
      this.server = createServer((req, res) => void this.serve(req, res, new URL(req.url ?? '/', 'http://gateway')));
    }
  }

  /** The admin listener (--api-port with keys), for the gateway to guard; undefined when the API is on the public port or off. */
  get adminServer(): Server | undefined {
    return this.server;
  }

  /** true when /api/ is served on the public port (no --api-port). */
  get onPublicPort(): boolean {
    return this.config.apiPort === undefined;
  }

  /** Starts the admin listener when --api-port is set. */
  async start(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.apiPort, this.config.apiHost, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.logger.info({ event: 'api_listening', port: this.port, host: this.config.apiHost }, `server API on ${this.config.apiHost}:${this.port}`);
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server?.listening) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  /** The admin listener's bound port, when there is one. */
  get port(): number | undefined {
    return this.server?.listening ? (this.server.address() as AddressInfo).port : undefined;
  }

  async serve(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const started = performance.now();
    const route = ROUTES[url.pathname];
    const endpoint = route?.endpoint ?? (url.pathname === '/api/openapi.json' ? 'openapi' : 'other');
    let answer: ApiAnswer;
    let code = 'OK';
    try {
      answer = await this.route(req, url, route);
    } catch (err) {
      const refusal = err instanceof ApiError ? err : this.internalError(err, endpoint);
      code = refusal.code;
      answer = { status: refusal.status, body: JSON.stringify(refusal) };
    }
    this.metrics.apiRequests.inc({ endpoint, code });
    this.metrics.apiRequestDuration.observe({ endpoint }, (performance.now() - started) / 1000);
    if (res.headersSent || res.destroyed) return;
    const headers: Record<string, string> = { ...HEADERS };
    if (answer.status === ApiErrorStatus.UNAUTHORIZED) headers['www-authenticate'] = 'Bearer realm="odin"';
    if (answer.status === ApiErrorStatus.METHOD_NOT_ALLOWED && route) headers.allow = route.method;
    // An unread or partly read body must not be taken for the next request.
    if (!req.complete) headers.connection = 'close';
    res.writeHead(answer.status, headers).end(answer.body);
  }

  private async route(req: IncomingMessage, url: URL, route: Route | undefined): Promise<ApiAnswer> {
    if (!this.keys.enabled) throw new ApiError('API_DISABLED', 'the server API is off: start the gateway with --api-key, API_KEYS or --api-key-file');
    // The document describes the API and holds no secret: readable without a key.
    if (url.pathname === '/api/openapi.json' && req.method === 'GET') return { status: 200, body: this.openApiText };
    if (!this.keys.authorize(req)) throw new ApiError('UNAUTHORIZED', 'missing or unknown API key: send Authorization: Bearer <key>');
    if (!route) throw new ApiError('NOT_FOUND', `no endpoint ${url.pathname}`);
    if (req.method !== route.method) throw new ApiError('METHOD_NOT_ALLOWED', `${url.pathname} takes ${route.method}, not ${req.method}`);
    return route.handle(this, req, url);
  }

  private internalError(err: unknown, endpoint: string): ApiError {
    this.logger.error({ event: 'api_error', endpoint, err: err instanceof Error ? (err.stack ?? err.message) : String(err) }, 'server API request failed');
    return new ApiError('INTERNAL_ERROR', 'the request failed inside the gateway; see its log');
  }

  private disconnectLocal(user: string): number {
    const closed = this.connections.disconnectUser(user);
    this.metrics.apiDisconnects.inc(closed);
    return closed;
  }
}
