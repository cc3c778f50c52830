// subscribe / unsubscribe: permissions, limits, and the resume seam.
// Order per entry: register the subscription (live messages start to wait in
// it), read history or the latest value from the broker, then activate: replay,
// `subscribed`, then the waiting live messages newer than the seam.
import type { Broker, BrokerMessage } from '../broker/broker.js';
import { checkChannel, mayRead, patternsIntersect } from '../protocol/channels.js';
import { ErrorCode } from '../protocol/codes.js';
import type { RequestId, SubscribeEntry, SubscribeRequest, SubscribedMessage, UnsubscribeRequest } from '../protocol/messages.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import type { ClientConnection } from './client-connection.js';
import { Subscription } from './subscription.js';
import type { SubscriptionHub } from './subscription-hub.js';

export interface SubscribeContext {
  broker: Broker;
  hub: SubscriptionHub;
  metrics: GatewayMetrics;
  logger: Logger;
  maxSubscriptions: number;
}

export async function handleSubscribe(ctx: SubscribeContext, conn: ClientConnection, request: SubscribeRequest): Promise<void> {
  // Entries are set up one after another so that answers come in request order.
  for (const raw of request.channels) {
    const entry: SubscribeEntry = typeof raw === 'string' ? { channel: raw } : raw;
    if (!conn.isOpen) return;
    await subscribeOne(ctx, conn, entry, request.id);
  }
}

async function subscribeOne(ctx: SubscribeContext, conn: ClientConnection, entry: SubscribeEntry, id: RequestId | undefined): Promise<void> {
  const { channel, since } = entry;
  const check = checkChannel(channel);
  if (!check.ok) {
    conn.sendError(ErrorCode.INVALID_CHANNEL, check.reason, id, typeof channel === 'string' ? channel.slice(0, 128) : undefined);
    return;
  }
  if (!mayRead(channel, conn.user)) {
    conn.sendError(ErrorCode.FORBIDDEN, 'private channel of another user, or a pattern that could match one', id, channel);
    return;
  }
  const previous = conn.subscriptions.get(channel);
  if (!previous && conn.subscriptions.size >= ctx.maxSubscriptions) {
    conn.sendError(ErrorCode.TOO_MANY_SUBSCRIPTIONS, `at most ${ctx.maxSubscriptions} subscriptions per connection`, id, channel);
    return;
  }
  if (previous) ctx.hub.remove(previous);
  const sub = new Subscription(conn, channel, check.wildcard);
  conn.subscriptions.set(sub);
  ctx.hub.add(sub);
  ctx.metrics.subscriptionsActive.inc();
  conn.overlapping = hasOverlap(conn);

  const started = performance.now();
  let replay: BrokerMessage[] = [];
  let seam: number;
  let recovered: boolean | undefined;
  try {
    if (since) {
      ctx.metrics.replayRequests.inc();
      const history = await ctx.broker.history(channel, since);
      if (history.recovered) {
        replay = history.messages;
        recovered = true;
        seam = history.position.seq;
      } else {
        const latest = await ctx.broker.latest(channel);
        replay = latest.messages;
        recovered = false;
        seam = latest.position.seq;
      }
      ctx.metrics.resumes.inc({ result: recovered ? 'recovered' : 'not_recovered' });
    } else {
      const latest = await ctx.broker.latest(channel);
      if (entry.latest) replay = latest.messages;
      seam = latest.position.seq;
    }
  } catch (err) {
    ctx.logger.warn({ event: 'history_unavailable', session: conn.id, channel, err: String(err) }, 'history read failed');
    if (since) ctx.metrics.resumes.inc({ result: 'unavailable' });
    conn.sendError(ErrorCode.HISTORY_UNAVAILABLE, 'history could not be read; subscribed to live messages only', id, channel);
    recovered = since ? false : undefined;
    replay = [];
    seam = 0;
  }
  for (const m of replay) if (m.seq > seam) seam = m.seq;
  const positionSeq = seam;
  // A complete replay covers everything after `since`; otherwise the subscription covers what comes after the seam.
  const coveredFrom = recovered && since ? since.seq + 1 : seam + 1;
  if (conn.subscriptions.get(channel) !== sub) return; // unsubscribed or replaced meanwhile
  const answer: SubscribedMessage = {
    type: 'subscribed',
    ...(id !== undefined ? { id } : {}),
    channel,
    ...(recovered !== undefined ? { recovered } : {}),
    replayed: replay.length,
    position: { seq: positionSeq, epoch: ctx.broker.epoch() },
  };
  ctx.hub.activate(sub, replay, seam, coveredFrom, answer);
  ctx.metrics.historyReplayed.inc(replay.length);
  if (since) ctx.metrics.resumeDuration.observe((performance.now() - started) / 1000);
}

export function handleUnsubscribe(ctx: SubscribeContext, conn: ClientConnection, request: UnsubscribeRequest): void {
  for (const channel of request.channels) {
    const sub = conn.subscriptions.get(channel);
    if (!sub) continue;
    ctx.hub.remove(sub);
    conn.subscriptions.delete(channel);
    ctx.metrics.subscriptionsActive.dec();
  }
  conn.overlapping = hasOverlap(conn);
  conn.send({ type: 'unsubscribed', ...(request.id !== undefined ? { id: request.id } : {}), channels: request.channels });
}

/** Drops every subscription of a closed connection. */
export function removeAllSubscriptions(ctx: SubscribeContext, conn: ClientConnection): void {
  for (const sub of conn.subscriptions.values()) {
    ctx.hub.remove(sub);
    ctx.metrics.subscriptionsActive.dec();
  }
  conn.subscriptions.clear();
}

/** Can two subscriptions of this connection match the same channel? (At most 100 subscriptions: pairwise is fine.) */
function hasOverlap(conn: ClientConnection): boolean {
  const patterns = conn.subscriptions.values().map((s) => s.pattern);
  for (let i = 0; i < patterns.length; i++) {
    for (let j = i + 1; j < patterns.length; j++) if (patternsIntersect(patterns[i]!, patterns[j]!)) return true;
  }
  return false;
}
