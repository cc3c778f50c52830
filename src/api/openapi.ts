// The OpenAPI 3.1 document served at /api/openapi.json. Built from the same
// constants the code checks against (limits, codes), so it cannot drift from
// them; docs/server-api.md is the prose version (a test compares the two).
import type { GatewayConfig } from '../config/gateway-options.js';
import { MAX_CHANNEL_LENGTH } from '@odin-gateway/client/channels';
import { ApiErrorStatus, type ApiErrorCode } from './api-errors.js';
import { DEFAULT_HISTORY_LIMIT, MAX_HISTORY_LIMIT, MAX_USER_LENGTH } from './api-validation.js';

type Json = Record<string, unknown>;

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json): Json => ({ content: { 'application/json': { schema } } });

/** The error responses of an operation, grouped by status, each listing its codes. */
function errors(...codes: ApiErrorCode[]): Json {
  const byStatus = new Map<number, ApiErrorCode[]>();
  for (const code of [...codes, 'UNAUTHORIZED', 'INTERNAL_ERROR'] as ApiErrorCode[]) {
    const status = ApiErrorStatus[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: Json = {};
  for (const [status, list] of byStatus) {
    out[String(status)] = { description: `refused: ${list.join(', ')}`, ...json({ allOf: [ref('Error')], properties: { error: { properties: { code: { enum: list } } } } }) };
  }
  return out;
}

export function openApiDocument(config: Pick<GatewayConfig, 'apiMaxBatch' | 'apiMaxMessageBytes' | 'apiMaxBodyBytes'>): Json {
  const channel = { type: 'string', minLength: 1, maxLength: MAX_CHANNEL_LENGTH, pattern: '^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+){0,7}$', description: 'a concrete channel, e.g. token.BTC.price' };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Odin server API',
      version: '1',
      description: `Publish, read history, list channels and disconnect users over HTTP. Prose: docs/server-api.md. Bodies up to ${config.apiMaxBodyBytes} bytes.`,
    },
    servers: [{ url: '/' }],
    security: [{ apiKey: [] }],
    paths: {
      '/api/publish': {
        post: {
          operationId: 'publish',
          summary: 'Publish one message or a batch; answers the position of each',
          requestBody: { required: true, ...json({ oneOf: [ref('PublishMessage'), ref('PublishBatch')] }) },
          responses: {
            '200': { description: 'stored: the position (single) or the positions in request order (batch)', ...json({ oneOf: [ref('PublishAnswer'), ref('PublishBatchAnswer')] }) },
            ...errors('INVALID_JSON', 'INVALID_REQUEST', 'INVALID_CHANNEL', 'UNKNOWN_CHANNEL', 'INVALID_IDEMPOTENCY_KEY', 'UNSUPPORTED_MEDIA_TYPE', 'BODY_TOO_LARGE', 'MESSAGE_TOO_LARGE', 'BATCH_TOO_LARGE', 'METHOD_NOT_ALLOWED', 'BROKER_UNAVAILABLE'),
          },
        },
      },
      '/api/history': {
        get: {
          operationId: 'history',
          summary: 'Retained messages after a position, in the protocol message shape',
          parameters: [
            { name: 'channel', in: 'query', required: true, schema: { type: 'string' }, description: 'channel or wildcard pattern' },
            { name: 'since', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 }, description: 'seq to read after' },
            { name: 'epoch', in: 'query', schema: { type: 'string' }, description: 'epoch of since; absent = the current one' },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: MAX_HISTORY_LIMIT, default: DEFAULT_HISTORY_LIMIT } },
          ],
          responses: { '200': { description: 'the page', ...json(ref('HistoryAnswer')) }, ...errors('INVALID_CHANNEL', 'INVALID_POSITION', 'INVALID_LIMIT', 'METHOD_NOT_ALLOWED', 'HISTORY_UNAVAILABLE') },
        },
      },
      '/api/book': {
        get: {
          operationId: 'book',
          summary: "A book channel's book at this instance's newest position (docs/books.md)",
          parameters: [
            { name: 'channel', in: 'query', required: true, schema: { type: 'string' }, description: 'a book channel, book.<TOKEN>' },
            { name: 'depth', in: 'query', schema: { type: 'integer', enum: [10, 25, 100, 1000], default: 1000 }, description: 'levels per side' },
          ],
          responses: { '200': { description: 'the book', ...json(ref('BookAnswer')) }, ...errors('INVALID_CHANNEL', 'INVALID_LIMIT', 'NOT_FOUND', 'METHOD_NOT_ALLOWED') },
        },
      },
      '/api/channels': {
        get: {
          operationId: 'channels',
          summary: 'Channels with a latest value (broker-wide) and subscriptions to each (this instance)',
          parameters: [{ name: 'pattern', in: 'query', schema: { type: 'string', default: '>' } }],
          responses: { '200': { description: 'the channels', ...json(ref('ChannelsAnswer')) }, ...errors('INVALID_CHANNEL', 'METHOD_NOT_ALLOWED') },
        },
      },
      '/api/disconnect': {
        post: {
          operationId: 'disconnect',
          summary: "Close a user's connections on every instance (close code 4004)",
          requestBody: { required: true, ...json(ref('DisconnectRequest')) },
          responses: {
            '200': { description: 'closed here, and broadcast to every instance', ...json(ref('DisconnectAnswer')) },
            ...errors('INVALID_JSON', 'INVALID_REQUEST', 'INVALID_USER', 'UNSUPPORTED_MEDIA_TYPE', 'BODY_TOO_LARGE', 'METHOD_NOT_ALLOWED', 'BROKER_UNAVAILABLE'),
          },
        },
      },
      '/api/openapi.json': {
        get: { operationId: 'openapi', summary: 'This document (no key needed)', security: [], responses: { '200': { description: 'OpenAPI 3.1', ...json({ type: 'object' }) } } },
      },
    },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'a key from --api-key, API_KEYS or --api-key-file' } },
      schemas: {
        Position: { type: 'object', required: ['seq', 'epoch'], properties: { seq: { type: 'integer', minimum: 0 }, epoch: { type: 'string' } } },
        PublishMessage: {
          type: 'object',
          additionalProperties: false,
          required: ['channel', 'data'],
          properties: {
            channel,
            data: { description: `any JSON value, at most ${config.apiMaxMessageBytes} bytes as JSON; its top-level "type" becomes the event` },
            idempotencyKey: { type: 'string', pattern: '^[\\x21-\\x7e]{1,128}$', description: 'a retry with the same key within the de-duplication window stores nothing and answers the first position' },
          },
        },
        PublishBatch: { type: 'object', additionalProperties: false, required: ['messages'], properties: { messages: { type: 'array', minItems: 1, maxItems: config.apiMaxBatch, items: ref('PublishMessage') } } },
        PublishAnswer: { type: 'object', required: ['position'], properties: { position: ref('Position') } },
        PublishBatchAnswer: { type: 'object', required: ['positions'], properties: { positions: { type: 'array', items: ref('Position') } } },
        DataMessage: {
          type: 'object',
          required: ['type', 'channel', 'seq', 'prev', 'epoch', 'ts', 'event', 'data'],
          properties: {
            type: { const: 'message' },
            channel: { type: 'string' },
            seq: { type: 'integer' },
            prev: { type: 'integer' },
            epoch: { type: 'string' },
            ts: { type: 'integer' },
            event: { type: 'string' },
            data: {},
          },
        },
        HistoryAnswer: {
          type: 'object',
          required: ['channel', 'recovered', 'messages', 'more', 'next', 'position'],
          properties: {
            channel: { type: 'string' },
            recovered: { type: 'boolean', description: 'true: messages are every retained message after since (up to limit); false: history after since is gone or another epoch, and messages are the latest of each matching channel' },
            messages: { type: 'array', items: ref('DataMessage') },
            more: { type: 'boolean', description: 'true: limit cut the page; read again with since = next.seq' },
            next: ref('Position'),
            position: ref('Position'),
          },
        },
        BookAnswer: {
          type: 'object',
          required: ['channel', 'position', 'book'],
          properties: {
            channel: { type: 'string' },
            position: ref('Position'),
            book: { type: 'object', description: '{kind:"snapshot", bids, asks, checksum} as in docs/books.md' },
          },
        },
        ChannelsAnswer: {
          type: 'object',
          required: ['pattern', 'instance', 'broker', 'channels', 'position'],
          properties: {
            pattern: { type: 'string' },
            instance: { type: 'string', description: 'the instance whose subscriber counts these are' },
            broker: { type: 'string', enum: ['memory', 'nats'] },
            channels: {
              type: 'array',
              items: {
                type: 'object',
                required: ['channel', 'latest', 'subscribers'],
                properties: {
                  channel: { type: 'string' },
                  latest: { type: 'object', required: ['seq', 'epoch', 'ts', 'event'], properties: { seq: { type: 'integer' }, epoch: { type: 'string' }, ts: { type: 'integer' }, event: { type: 'string' } } },
                  subscribers: { type: 'integer', description: 'subscriptions receiving this channel on this instance only' },
                },
              },
            },
            position: ref('Position'),
          },
        },
        DisconnectRequest: { type: 'object', additionalProperties: false, required: ['user'], properties: { user: { type: 'string', minLength: 1, maxLength: MAX_USER_LENGTH } } },
        DisconnectAnswer: {
          type: 'object',
          required: ['user', 'closedHere', 'broadcast'],
          properties: { user: { type: 'string' }, closedHere: { type: 'integer', description: 'connections closed on the instance that answered' }, broadcast: { const: true } },
        },
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string', enum: Object.keys(ApiErrorStatus) },
                message: { type: 'string' },
                index: { type: 'integer', description: 'batch: the message at fault' },
                limit: { type: 'integer', description: 'size refusals: the limit' },
                positions: { type: 'array', items: { oneOf: [ref('Position'), { type: 'null' }] }, description: 'BROKER_UNAVAILABLE on a batch: what was stored' },
                closedHere: { type: 'integer' },
              },
            },
          },
        },
      },
    },
  };
}
