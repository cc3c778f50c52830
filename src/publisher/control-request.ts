// Validates a `POST /control` body into a typed command. Every rejection
// names the offending field, so a caller can fix the request from the message.
import { MAX_BOOK_RATE, MAX_PUBLISH_RATE, TOKEN_ID_PATTERN } from '../config/publisher-options.js';
import type { SettingsChange } from './publisher-settings.js';

export class ControlRequestError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'ControlRequestError';
  }
}

export type ControlAction = 'start' | 'stop' | 'configure';
export interface ControlCommand {
  action: ControlAction;
  change: SettingsChange;
  /** Fields the reference accepted that have no effect here, reported back so callers are not misled. */
  ignored: string[];
}

const ACTIONS: readonly ControlAction[] = ['start', 'stop', 'configure'];
const MAX_LIST = 100;
const MAX_DURATION_MS = 365 * 24 * 3600 * 1000;
/** `connections` is the reference's (its publisher ignored it too): accepted, reported as ignored. */
const IGNORED_FIELDS = new Set(['connections']);
const KNOWN_FIELDS = new Set(['action', 'messagesPerSecond', 'duration', 'tokens', 'statisticsIntervalMs', 'tradeEventsPerSecond', 'bookMessagesPerSecond', 'users', ...IGNORED_FIELDS]);

export function parseControlRequest(body: unknown): ControlCommand {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ControlRequestError('body', 'must be a JSON object such as {"action":"start"}');
  }
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b)) {
    if (!KNOWN_FIELDS.has(key)) throw new ControlRequestError(key, `unknown field; known: ${[...KNOWN_FIELDS].join(', ')}`);
  }
  if (!ACTIONS.includes(b.action as ControlAction)) {
    throw new ControlRequestError('action', `must be one of ${ACTIONS.join(', ')}, got ${JSON.stringify(b.action ?? null)}`);
  }
  const change: SettingsChange = {};
  if (b.messagesPerSecond !== undefined) change.messagesPerSecond = numberIn(b, 'messagesPerSecond', 1, MAX_PUBLISH_RATE);
  // Milliseconds, as in the reference's control API (the `--duration` flag is in seconds).
  if (b.duration !== undefined) change.duration = numberIn(b, 'duration', 0, MAX_DURATION_MS) / 1000;
  if (b.statisticsIntervalMs !== undefined) change.statisticsIntervalMs = numberIn(b, 'statisticsIntervalMs', 100, 24 * 3600 * 1000);
  if (b.tradeEventsPerSecond !== undefined) change.tradeEventsPerSecond = numberIn(b, 'tradeEventsPerSecond', 0, 1000);
  if (b.bookMessagesPerSecond !== undefined) change.bookMessagesPerSecond = numberIn(b, 'bookMessagesPerSecond', 0, MAX_BOOK_RATE);
  if (b.tokens !== undefined) change.tokens = idList(b, 'tokens', 1);
  if (b.users !== undefined) change.users = idList(b, 'users', 0);
  return { action: b.action as ControlAction, change, ignored: Object.keys(b).filter((k) => IGNORED_FIELDS.has(k)) };
}

function numberIn(b: Record<string, unknown>, field: string, min: number, max: number): number {
  const v = b[field];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new ControlRequestError(field, `must be a number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function idList(b: Record<string, unknown>, field: string, minLength: number): string[] {
  const v = b[field];
  if (!Array.isArray(v) || v.length < minLength || v.length > MAX_LIST) {
    throw new ControlRequestError(field, `must be an array of ${minLength} to ${MAX_LIST} ids`);
  }
  for (const item of v) {
    if (typeof item !== 'string' || !TOKEN_ID_PATTERN.test(item)) {
      throw new ControlRequestError(field, `${JSON.stringify(item)} is not an id ([A-Za-z0-9_-], 1 to 32 characters)`);
    }
  }
  return [...new Set(v as string[])];
}
