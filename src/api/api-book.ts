// GET /api/book: a book channel's book at this instance's newest position,
// the same snapshot a subscriber would get (docs/books.md).
import { isBookChannel } from '../books/book-message.js';
import { SNAPSHOT_DEPTHS } from '../protocol/client-message-parser.js';
import { ApiError } from './api-errors.js';
import type { ApiAnswer, ApiContext } from './api-context.js';

const DEFAULT_DEPTH = 1000;

export async function bookEndpoint(ctx: ApiContext, params: URLSearchParams): Promise<ApiAnswer> {
  const channel = params.get('channel');
  if (channel === null || !isBookChannel(channel) || !/^book\.[A-Za-z0-9_-]+$/.test(channel)) {
    throw new ApiError('INVALID_CHANNEL', '"channel" must be a book channel, book.<TOKEN>');
  }
  const depthText = params.get('depth');
  const depth = depthText === null ? DEFAULT_DEPTH : Number(depthText);
  if (!SNAPSHOT_DEPTHS.includes(depth)) throw new ApiError('INVALID_LIMIT', `"depth" must be one of ${SNAPSHOT_DEPTHS.join(', ')}`);
  const at = await ctx.book(channel, depth);
  if (!at.message) throw new ApiError('NOT_FOUND', `${channel} has no book yet`);
  // The snapshot is spliced as clients get it, not re-serialised.
  return { status: 200, body: `{"channel":${JSON.stringify(channel)},"position":${JSON.stringify({ seq: at.seq, epoch: at.epoch })},"book":${at.message.payload}}` };
}
