// Checks what a backend sends before anything reaches the broker: the body
// shape (strict: an unknown field is refused, so a misspelt
// `idempotency_key` cannot silently publish twice), channel grammar, sizes.
import { isBookChannel, parseBookData } from '../books/book-message.js';
import { checkChannel, unknownPublishChannelReason } from '@odin-gateway/client/channels';
import { ApiError } from './api-errors.js';

export interface PublishMessage {
  channel: string;
  data: unknown;
  idempotencyKey?: string;
}

export interface PublishLimits {
  maxMessageBytes: number;
  maxBatch: number;
  /** `--channel-families`: a publish outside them is refused UNKNOWN_CHANNEL, as a subscribe is. */
  channelFamilies: readonly string[];
}

/** What JetStream takes as a Nats-Msg-Id header value, and a bound on the de-dup window's memory. */
const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,128}$/;
const MESSAGE_FIELDS = new Set(['channel', 'data', 'idempotencyKey']);
export const MAX_USER_LENGTH = 256;

/** `{channel,data,idempotencyKey?}` (single) or `{messages:[...]}` (batch). */
export function parsePublishBody(body: unknown, limits: PublishLimits): { batch: boolean; messages: PublishMessage[] } {
  if (!isObject(body)) throw new ApiError('INVALID_REQUEST', 'body must be a JSON object');
  if ('messages' in body) {
    const extra = Object.keys(body).filter((k) => k !== 'messages');
    if (extra.length > 0) throw new ApiError('INVALID_REQUEST', `a batch has only "messages"; unexpected ${JSON.stringify(extra[0])}`);
    const list = body.messages;
    if (!Array.isArray(list) || list.length === 0) throw new ApiError('INVALID_REQUEST', '"messages" must be a non-empty array');
    if (list.length > limits.maxBatch) throw new ApiError('BATCH_TOO_LARGE', `${list.length} messages in a batch; at most ${limits.maxBatch}`, { limit: limits.maxBatch });
    return { batch: true, messages: list.map((m, index) => checkMessage(m, limits, index)) };
  }
  return { batch: false, messages: [checkMessage(body, limits, undefined)] };
}

function checkMessage(m: unknown, limits: PublishLimits, index: number | undefined): PublishMessage {
  const at = index === undefined ? {} : { index };
  const where = index === undefined ? '' : `messages[${index}]: `;
  if (!isObject(m)) throw new ApiError('INVALID_REQUEST', `${where}a message must be a JSON object`, at);
  for (const key of Object.keys(m)) {
    if (!MESSAGE_FIELDS.has(key)) throw new ApiError('INVALID_REQUEST', `${where}unexpected field ${JSON.stringify(key)}`, at);
  }
  const check = checkChannel(m.channel);
  if (!check.ok) throw new ApiError('INVALID_CHANNEL', `${where}${check.reason}`, at);
  if (check.wildcard) throw new ApiError('INVALID_CHANNEL', `${where}publish needs a concrete channel, not the pattern ${JSON.stringify(m.channel)}`, at);
  const unknown = unknownPublishChannelReason(m.channel as string, limits.channelFamilies);
  if (unknown !== undefined) throw new ApiError('UNKNOWN_CHANNEL', `${where}${unknown}`, at);
  if (!('data' in m)) throw new ApiError('INVALID_REQUEST', `${where}"data" is required (any JSON value)`, at);
  if (isBookChannel(m.channel as string)) {
    const book = parseBookData(m.data);
    if (!book.ok) throw new ApiError('INVALID_BOOK', `${where}${book.message} (${book.reason}); docs/books.md`, { ...at, reason: book.reason });
  }
  const bytes = Buffer.byteLength(JSON.stringify(m.data));
  if (bytes > limits.maxMessageBytes) throw new ApiError('MESSAGE_TOO_LARGE', `${where}data is ${bytes} bytes as JSON; at most ${limits.maxMessageBytes}`, { ...at, limit: limits.maxMessageBytes });
  const key = m.idempotencyKey;
  if (key !== undefined && (typeof key !== 'string' || !IDEMPOTENCY_KEY_RE.test(key))) {
    throw new ApiError('INVALID_IDEMPOTENCY_KEY', `${where}idempotencyKey must be 1 to 128 visible ASCII characters`, at);
  }
  return { channel: m.channel as string, data: m.data, ...(key !== undefined ? { idempotencyKey: key } : {}) };
}

export interface HistoryQuery {
  channel: string;
  since: number;
  /** Absent: the broker's current epoch. */
  epoch: string | undefined;
  limit: number;
}

export const DEFAULT_HISTORY_LIMIT = 100;
export const MAX_HISTORY_LIMIT = 1000;

export function parseHistoryQuery(params: URLSearchParams): HistoryQuery {
  const channel = params.get('channel');
  if (channel === null) throw new ApiError('INVALID_CHANNEL', '"channel" query parameter is required');
  const check = checkChannel(channel);
  if (!check.ok) throw new ApiError('INVALID_CHANNEL', check.reason);
  const since = intParam(params, 'since', 0, 0, Number.MAX_SAFE_INTEGER, 'INVALID_POSITION');
  const epoch = params.get('epoch') ?? undefined;
  if (epoch !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(epoch)) throw new ApiError('INVALID_POSITION', '"epoch" must be an epoch as the API returns it');
  const limit = intParam(params, 'limit', DEFAULT_HISTORY_LIMIT, 1, MAX_HISTORY_LIMIT, 'INVALID_LIMIT');
  return { channel, since, epoch, limit };
}

export function parseChannelsQuery(params: URLSearchParams): string {
  const pattern = params.get('pattern') ?? '>';
  const check = checkChannel(pattern);
  if (!check.ok) throw new ApiError('INVALID_CHANNEL', check.reason);
  return pattern;
}

export function parseDisconnectBody(body: unknown): string {
  if (!isObject(body)) throw new ApiError('INVALID_REQUEST', 'body must be a JSON object');
  const extra = Object.keys(body).filter((k) => k !== 'user');
  if (extra.length > 0) throw new ApiError('INVALID_REQUEST', `unexpected field ${JSON.stringify(extra[0])}`);
  const user = body.user;
  if (typeof user !== 'string' || user.length === 0 || user.length > MAX_USER_LENGTH) {
    throw new ApiError('INVALID_USER', `"user" must be a string of 1 to ${MAX_USER_LENGTH} characters`);
  }
  return user;
}

function intParam(params: URLSearchParams, name: string, fallback: number, min: number, max: number, code: 'INVALID_POSITION' | 'INVALID_LIMIT'): number {
  const raw = params.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new ApiError(code, `"${name}" must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
