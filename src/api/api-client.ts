// A small client of the server API for Node: `odin publish`, the simulator's
// --via-api transport, the load tool and the tests. Keep-alive connections;
// a refusal becomes an ApiRequestError with the status and the stable code.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Position } from '@odin-gateway/client/protocol';
import type { PublishMessage } from './api-validation.js';

export class ApiRequestError extends Error {
  override name = 'ApiRequestError';
  constructor(
    readonly status: number,
    /** The API's stable code, or NETWORK_ERROR when no answer came. */
    readonly code: string,
    message: string,
    readonly body: unknown = undefined,
  ) {
    super(message);
  }
}

export interface ApiClientOptions {
  /** Gateway base URL, e.g. http://127.0.0.1:3004 (the API is under /api/). */
  url: string;
  key: string;
  /** Connections kept open to the gateway. Default 8. */
  maxSockets?: number;
  timeoutMs?: number;
}

export class OdinApiClient {
  private readonly base: URL;
  private readonly agent: HttpAgent;
  private readonly send: typeof httpRequest;

  constructor(private readonly options: ApiClientOptions) {
    this.base = new URL(options.url);
    const secure = this.base.protocol === 'https:';
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 8 };
    this.agent = secure ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
    this.send = secure ? httpsRequest : httpRequest;
  }

  async publish(message: PublishMessage): Promise<Position> {
    return ((await this.call('POST', '/api/publish', message)) as { position: Position }).position;
  }

  async publishBatch(messages: PublishMessage[]): Promise<Position[]> {
    return ((await this.call('POST', '/api/publish', { messages })) as { positions: Position[] }).positions;
  }

  history(channel: string, since?: Position, limit?: number): Promise<unknown> {
    const q = new URLSearchParams({ channel });
    if (since) {
      q.set('since', String(since.seq));
      q.set('epoch', since.epoch);
    }
    if (limit !== undefined) q.set('limit', String(limit));
    return this.call('GET', `/api/history?${q}`);
  }

  channels(pattern?: string): Promise<unknown> {
    return this.call('GET', pattern === undefined ? '/api/channels' : `/api/channels?${new URLSearchParams({ pattern })}`);
  }

  disconnect(user: string): Promise<unknown> {
    return this.call('POST', '/api/disconnect', { user });
  }

  close(): void {
    this.agent.destroy();
  }

  /** One request; resolves with the parsed JSON answer, rejects with ApiRequestError. */
  call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const url = new URL(path, this.base);
    return new Promise((resolve, reject) => {
      const req = this.send(url, {
        method,
        agent: this.agent,
        timeout: this.options.timeoutMs ?? 30_000,
        headers: {
          authorization: `Bearer ${this.options.key}`,
          ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
      });
      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            reject(new ApiRequestError(res.statusCode ?? 0, 'INVALID_ANSWER', `HTTP ${res.statusCode}: not JSON: ${text.slice(0, 200)}`));
            return;
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(parsed);
          const error = (parsed as { error?: { code?: string; message?: string } }).error;
          reject(new ApiRequestError(status, error?.code ?? `HTTP_${status}`, `HTTP ${status} ${error?.code ?? ''}: ${error?.message ?? text}`, parsed));
        });
        res.on('error', (err) => reject(new ApiRequestError(0, 'NETWORK_ERROR', err.message)));
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.options.timeoutMs ?? 30_000} ms`)));
      req.on('error', (err) => reject(new ApiRequestError(0, 'NETWORK_ERROR', `${method} ${url.pathname}: ${err.message}`)));
      req.end(payload);
    });
  }
}
