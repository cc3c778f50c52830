// Turns one client frame into a validated request or a protocol error.
// Never throws: bad input is an answer, not an exception.
import { ErrorCode } from '@odin-gateway/client/codes';
import type { ClientMessage, Position, RequestId, SubscribeEntry } from '@odin-gateway/client/protocol';
import { MAX_CONFLATE_MS, MIN_CONFLATE_MS } from './conflation-rules.js';
import { jsonNestedDeeperThan, MAX_JSON_DEPTH } from './json-depth.js';

export const MAX_CHANNELS_PER_REQUEST = 100;
/** A token longer than this is refused before any parsing (a JWT with a few claims is well under 2 KB). */
export const MAX_TOKEN_LENGTH = 8192;
const MAX_ID_LENGTH = 64;
/** Levels per side a book snapshot may be limited to (docs/books.md); 1000 is the whole book. */
export const SNAPSHOT_DEPTHS: readonly number[] = [10, 25, 100, 1000];

export type ParseResult =
  | { ok: true; message: ClientMessage }
  | { ok: false; code: ErrorCode; message: string; id?: RequestId };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseId(v: unknown): RequestId | undefined | false {
  if (v === undefined) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.length <= MAX_ID_LENGTH) return v;
  return false;
}

function parsePosition(v: unknown): Position | undefined {
  if (!isRecord(v)) return undefined;
  const { seq, epoch } = v;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return undefined;
  if (typeof epoch !== 'string' || epoch.length === 0 || epoch.length > 64) return undefined;
  return { seq, epoch };
}

/** The reference gateway's `{data: {symbols: ["BTC", ...]}}`: token symbols, mapped to their price channels. */
function symbolChannels(raw: Record<string, unknown>): string[] | undefined {
  if (!isRecord(raw.data) || !Array.isArray(raw.data.symbols)) return undefined;
  const symbols = raw.data.symbols as unknown[];
  if (!symbols.every((s) => typeof s === 'string' && /^[A-Za-z0-9_-]{1,32}$/.test(s))) return undefined;
  return (symbols as string[]).map((s) => `token.${s}.price`);
}

function invalid(message: string, id?: RequestId): ParseResult {
  return { ok: false, code: ErrorCode.INVALID_MESSAGE, message, ...(id !== undefined ? { id } : {}) };
}

export function parseClientMessage(text: string): ParseResult {
  if (jsonNestedDeeperThan(text)) return { ok: false, code: ErrorCode.INVALID_JSON, message: `frame is nested deeper than ${MAX_JSON_DEPTH} levels` };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, code: ErrorCode.INVALID_JSON, message: 'frame is not valid JSON' };
  }
  if (!isRecord(raw)) return invalid('message must be a JSON object');
  const id = parseId(raw.id);
  if (id === false) return invalid(`id must be a number or a string of at most ${MAX_ID_LENGTH} characters`);
  const type = raw.type;
  switch (type) {
    case 'ping':
    case 'heartbeat':
      return { ok: true, message: { type, ...(id !== undefined ? { id } : {}) } };
    case 'subscribe': {
      const list = raw.channels ?? (raw.channel !== undefined ? [raw] : symbolChannels(raw));
      if (!Array.isArray(list) || list.length === 0 || list.length > MAX_CHANNELS_PER_REQUEST) {
        return invalid(`channels must be an array of 1 to ${MAX_CHANNELS_PER_REQUEST} entries`, id);
      }
      const channels: Array<string | SubscribeEntry> = [];
      for (const entry of list) {
        if (typeof entry === 'string') {
          channels.push(entry);
          continue;
        }
        if (!isRecord(entry) || typeof entry.channel !== 'string') {
          return invalid('each channels entry must be a string or {channel, since?, latest?, conflate?, depth?}', id);
        }
        const parsed: SubscribeEntry = { channel: entry.channel };
        if (entry.since !== undefined && entry.since !== null) {
          const since = parsePosition(entry.since);
          if (!since) return invalid('since must be {seq: non-negative integer, epoch: string}', id);
          parsed.since = since;
        }
        if (entry.latest !== undefined) {
          if (typeof entry.latest !== 'boolean') return invalid('latest must be true or false', id);
          parsed.latest = entry.latest;
        }
        if (entry.conflate !== undefined) {
          const ms = entry.conflate;
          if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < MIN_CONFLATE_MS || ms > MAX_CONFLATE_MS) {
            return invalid(`conflate must be an integer number of milliseconds from ${MIN_CONFLATE_MS} to ${MAX_CONFLATE_MS}`, id);
          }
          parsed.conflate = ms;
        }
        if (entry.depth !== undefined) {
          if (!SNAPSHOT_DEPTHS.includes(entry.depth as number)) return invalid(`depth must be one of ${SNAPSHOT_DEPTHS.join(', ')}`, id);
          parsed.depth = entry.depth as number;
        }
        channels.push(parsed);
      }
      return { ok: true, message: { type: 'subscribe', channels, ...(id !== undefined ? { id } : {}) } };
    }
    case 'unsubscribe': {
      const list = raw.channels ?? symbolChannels(raw);
      if (!Array.isArray(list) || list.length === 0 || list.length > MAX_CHANNELS_PER_REQUEST || !list.every((c) => typeof c === 'string')) {
        return invalid(`channels must be an array of 1 to ${MAX_CHANNELS_PER_REQUEST} channel names`, id);
      }
      return { ok: true, message: { type: 'unsubscribe', channels: list, ...(id !== undefined ? { id } : {}) } };
    }
    case 'replay':
      // The reference gateway's per-connection replay cannot survive a reconnect; positions replace it.
      return {
        ok: false,
        code: ErrorCode.REPLAY_NOT_SUPPORTED,
        message: 'replay is not served: resume with subscribe {channel, since: {seq, epoch}} (docs/protocol.md)',
        ...(id !== undefined ? { id } : {}),
      };
    case 'auth': {
      const token = raw.token;
      if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
        return invalid(`token must be a string of 1 to ${MAX_TOKEN_LENGTH} characters`, id);
      }
      return { ok: true, message: { type: 'auth', token, ...(id !== undefined ? { id } : {}) } };
    }
    default: {
      const hint = '';
      const shown = typeof type === 'string' ? JSON.stringify(type.slice(0, 32)) : typeof type;
      return { ok: false, code: ErrorCode.UNKNOWN_TYPE, message: `unknown message type ${shown}${hint}`, ...(id !== undefined ? { id } : {}) };
    }
  }
}
