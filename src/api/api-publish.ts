// POST /api/publish: one message or a batch; answers the position each got.
// Batch messages are handed to the broker in order without waiting between
// them (one NATS connection keeps their order), then awaited together.
import type { Position } from '../broker/broker.js';
import { ApiError } from './api-errors.js';
import { ok, type ApiAnswer, type ApiContext } from './api-context.js';
import { parsePublishBody } from './api-validation.js';

/** Idempotency keys share JetStream's de-dup window with other publishers: a prefix keeps them apart. */
export const API_MSG_ID_PREFIX = 'api:';

export async function publishEndpoint(ctx: ApiContext, body: unknown): Promise<ApiAnswer> {
  const { batch, messages } = parsePublishBody(body, ctx);
  const results = await Promise.allSettled(
    messages.map((m) => ctx.broker.publish(m.channel, m.data, m.idempotencyKey !== undefined ? { msgId: API_MSG_ID_PREFIX + m.idempotencyKey } : undefined)),
  );
  const positions: Array<Position | null> = results.map((r) => (r.status === 'fulfilled' ? r.value : null));
  const stored = positions.filter((p) => p !== null).length;
  ctx.countPublished(stored);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    ctx.logger.warn({ event: 'api_publish_failed', messages: messages.length, stored, err: String(failed.reason) }, 'server API publish failed');
    // Some may be stored: the answer says which, and a retry with the same idempotency keys stores the rest once.
    throw new ApiError('BROKER_UNAVAILABLE', `the broker did not store ${messages.length - stored} of ${messages.length} message(s): ${String(failed.reason)}`, batch ? { positions } : {});
  }
  return ok(batch ? { positions } : { position: positions[0] });
}
