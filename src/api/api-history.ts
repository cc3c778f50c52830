// GET /api/history: retained messages after a position, in the protocol's
// data message shape, with the protocol's `recovered` meaning. One request
// reads one page through the broker's pager (Broker.historyPage).
import { HistoryReadError } from '../broker/nats-history-reader.js';
import { encodeDataMessage } from '../protocol/data-message-encoder.js';
import { ApiError } from './api-errors.js';
import type { ApiAnswer, ApiContext } from './api-context.js';
import { parseHistoryQuery } from './api-validation.js';

/** The byte bound of one /api/history page (besides `limit`). */
export const HISTORY_PAGE_BYTES = 1024 * 1024;

export async function historyEndpoint(ctx: ApiContext, params: URLSearchParams): Promise<ApiAnswer> {
  const q = parseHistoryQuery(params);
  const epoch = q.epoch ?? ctx.broker.epoch();
  try {
    // One page: `limit` bounds the read itself, not a slice of a whole read.
    const h = await ctx.broker.historyPage(q.channel, { seq: q.since, epoch }, { maxBytes: HISTORY_PAGE_BYTES, maxMessages: q.limit });
    // Not recovered: like a resume, the latest message of each matching channel, to resync from.
    const page = h.recovered ? h.messages : (await ctx.broker.latest(q.channel)).messages.slice(0, q.limit);
    const more = h.recovered && !h.complete && page.length > 0;
    const last = page[page.length - 1];
    // Where to continue: after the page when cut, else the newest position.
    const next = more && last ? { seq: last.seq, epoch: h.position.epoch } : h.position;
    // Messages are spliced as encoded (the exact frames clients get), not re-serialised.
    const body =
      `{"channel":${JSON.stringify(q.channel)},"recovered":${h.recovered},"messages":[${page.map(encodeDataMessage).join(',')}],` +
      `"more":${more},"next":${JSON.stringify(next)},"position":${JSON.stringify(h.position)}}`;
    return { status: 200, body };
  } catch (err) {
    if (err instanceof ApiError) throw err;
    const why = err instanceof HistoryReadError ? err.message : String(err);
    throw new ApiError('HISTORY_UNAVAILABLE', `history could not be read: ${why}`);
  }
}
