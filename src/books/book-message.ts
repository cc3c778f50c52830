// The data of a message on a book channel (`book.<TOKEN>`), as a publisher
// sends it and as clients receive it (docs/books.md):
//   {"kind":"snapshot"|"update","bids":[[price,qty],...],"asks":[...],"checksum":N}
// Prices and quantities are decimal strings kept exactly as the venue wrote
// them; qty zero (any spelling) removes a level in an update. `checksum` is
// optional from a publisher (verified when present, computed when absent) and
// always present on what a client receives.
import { isDecimal, isZero } from './decimal.js';

/** `[price, qty]`, both decimal strings. */
export type Level = [price: string, qty: string];

export type BookKind = 'snapshot' | 'update';

export interface BookData {
  kind: BookKind;
  bids: Level[];
  asks: Level[];
  checksum?: number;
}

/** Channels whose messages are books: `book.<TOKEN>`. */
export const BOOK_CHANNEL_PREFIX = 'book.';

/** Levels one message may carry per side (a snapshot of a full book included). */
export const MAX_LEVELS_PER_SIDE = 1000;

/** Why a book message was refused: the `reason` label of book_messages_refused_total. */
export const BookRefusal = {
  NOT_AN_OBJECT: 'not_an_object',
  UNKNOWN_KIND: 'unknown_kind',
  UNKNOWN_SIDE: 'unknown_side',
  INVALID_LEVEL: 'invalid_level',
  INVALID_DECIMAL: 'invalid_decimal',
  NEGATIVE_QTY: 'negative_qty',
  ZERO_PRICE: 'zero_price',
  ZERO_QTY_IN_SNAPSHOT: 'zero_qty_in_snapshot',
  DUPLICATE_PRICE: 'duplicate_price',
  TOO_MANY_LEVELS: 'too_many_levels',
  INVALID_CHECKSUM: 'invalid_checksum',
} as const;
export type BookRefusal = (typeof BookRefusal)[keyof typeof BookRefusal];

export type BookParse = { ok: true; data: BookData } | { ok: false; reason: BookRefusal; message: string };

export function isBookChannel(channel: string): boolean {
  return channel.startsWith(BOOK_CHANNEL_PREFIX) && channel.indexOf('.', BOOK_CHANNEL_PREFIX.length) < 0 && channel.length > BOOK_CHANNEL_PREFIX.length;
}

const FIELDS = new Set(['kind', 'bids', 'asks', 'checksum']);

function refuse(reason: BookRefusal, message: string): BookParse {
  return { ok: false, reason, message };
}

/** Validates a book message's data (already parsed JSON). */
export function parseBookData(value: unknown): BookParse {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return refuse(BookRefusal.NOT_AN_OBJECT, 'book data must be a JSON object');
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) {
    if (!FIELDS.has(key)) return refuse(BookRefusal.UNKNOWN_SIDE, `unknown field ${JSON.stringify(key.slice(0, 64))}: a book message has kind, bids, asks and checksum`);
  }
  const kind = v.kind;
  if (kind !== 'snapshot' && kind !== 'update') return refuse(BookRefusal.UNKNOWN_KIND, 'kind must be "snapshot" or "update"');
  const bids = parseSide(v.bids, 'bids', kind);
  if (!Array.isArray(bids)) return bids;
  const asks = parseSide(v.asks, 'asks', kind);
  if (!Array.isArray(asks)) return asks;
  const checksum = v.checksum;
  if (checksum !== undefined && !(typeof checksum === 'number' && Number.isInteger(checksum) && checksum >= 0 && checksum <= 0xffffffff)) {
    return refuse(BookRefusal.INVALID_CHECKSUM, 'checksum must be an unsigned 32-bit integer');
  }
  return { ok: true, data: { kind, bids, asks, ...(checksum !== undefined ? { checksum } : {}) } };
}

function parseSide(value: unknown, side: 'bids' | 'asks', kind: BookKind): Level[] | Exclude<BookParse, { ok: true }> {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return refuse(BookRefusal.INVALID_LEVEL, `${side} must be an array of [price, qty]`) as Exclude<BookParse, { ok: true }>;
  if (value.length > MAX_LEVELS_PER_SIDE) return refuse(BookRefusal.TOO_MANY_LEVELS, `${value.length} ${side}; at most ${MAX_LEVELS_PER_SIDE} per message`) as Exclude<BookParse, { ok: true }>;
  const seen = kind === 'snapshot' ? new Set<string>() : undefined;
  const levels: Level[] = [];
  for (let i = 0; i < value.length; i++) {
    const l: unknown = value[i];
    const at = `${side}[${i}]`;
    if (!Array.isArray(l) || l.length !== 2 || typeof l[0] !== 'string' || typeof l[1] !== 'string') {
      return refuse(BookRefusal.INVALID_LEVEL, `${at} must be [price, qty], two decimal strings`) as Exclude<BookParse, { ok: true }>;
    }
    const price: string = l[0];
    const qty: string = l[1];
    if (qty.startsWith('-')) return refuse(BookRefusal.NEGATIVE_QTY, `${at}: qty must not be negative`) as Exclude<BookParse, { ok: true }>;
    if (!isDecimal(price) || !isDecimal(qty)) return refuse(BookRefusal.INVALID_DECIMAL, `${at}: price and qty must be decimal strings like "45285.2" (digits, one optional point, no sign or exponent)`) as Exclude<BookParse, { ok: true }>;
    if (isZero(price)) return refuse(BookRefusal.ZERO_PRICE, `${at}: price must be above zero`) as Exclude<BookParse, { ok: true }>;
    if (seen) {
      if (isZero(qty)) return refuse(BookRefusal.ZERO_QTY_IN_SNAPSHOT, `${at}: a snapshot lists only levels that exist (qty above zero)`) as Exclude<BookParse, { ok: true }>;
      if (seen.has(price)) return refuse(BookRefusal.DUPLICATE_PRICE, `${at}: price ${price} appears twice in the snapshot`) as Exclude<BookParse, { ok: true }>;
      seen.add(price);
    }
    levels.push([price, qty]);
  }
  return levels;
}

/** The JSON text of book data, fields in the documented order (no checksum: a book not known yet). */
export function encodeBookData(kind: BookKind, bids: readonly Level[], asks: readonly Level[], checksum: number | undefined): string {
  const tail = checksum === undefined ? '}' : `,"checksum":${checksum}}`;
  return `{"kind":"${kind}","bids":${JSON.stringify(bids)},"asks":${JSON.stringify(asks)}${tail}`;
}
