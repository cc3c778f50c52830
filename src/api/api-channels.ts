// GET /api/channels: channels with a latest value, and this instance's
// subscriptions to each. The list and latest values are the broker's (over
// NATS: the shared stream, the same on every instance); subscriber counts are
// this instance's only.
import { ok, type ApiAnswer, type ApiContext } from './api-context.js';
import { parseChannelsQuery } from './api-validation.js';

export async function channelsEndpoint(ctx: ApiContext, params: URLSearchParams): Promise<ApiAnswer> {
  const pattern = parseChannelsQuery(params);
  const latest = await ctx.broker.latest(pattern);
  const channels = latest.messages.map((m) => ({
    channel: m.channel,
    latest: { seq: m.seq, epoch: m.epoch, ts: m.ts, event: m.event },
    subscribers: ctx.subscriberCount(m.channel),
  }));
  return ok({ pattern, instance: ctx.instanceId, broker: ctx.broker.kind, channels, position: latest.position });
}
