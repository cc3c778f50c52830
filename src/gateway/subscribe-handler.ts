// subscribe / unsubscribe: permissions, limits, and the resume seam.
// Requests of one connection run one after another (ClientConnection's
// request queue), so at most one history read and one replay are in flight
// per connection, and answers come in request order.
// Order per entry: register the subscription (live messages start to be held
// in it), read history or the latest value from the broker, then announce
// (`replaying`, for resumes), write the replay under flow control (history
// page by page, each read once the socket drained), answer `subscribed`, and
// go live with the held messages newer than the seam.
import type { Broker, BrokerMessage, HistoryPage } from '../broker/broker.js';
import { isBookChannel } from '../books/book-message.js';
import type { BookStore } from '../books/book-store.js';
import { checkChannel, mayReadWith, unknownChannelReason } from '@odin-gateway/client/channels';
import { CloseCode, ErrorCode } from '@odin-gateway/client/codes';
import type { Position, RequestId, SubscribeEntry, SubscribeRequest, SubscribedMessage, UnsubscribeRequest } from '@odin-gateway/client/protocol';
import { conflateBucket, isConflatable } from '../protocol/conflation-rules.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import type { ClientConnection } from './client-connection.js';
import { replayPageBytes, writeHistoryReplay, writeReplay, type PageShape } from './replay-writer.js';
import { overlappingSubscription, seamOf } from './resume-rules.js';
import { Subscription } from './subscription.js';
import type { SubscriptionHub } from './subscription-hub.js';
import type { ConflationHub } from './conflation/conflation-hub.js';
import { conflateAll } from './conflation/conflation-window.js';

export interface SubscribeContext {
  broker: Broker;
  hub: SubscriptionHub;
  /** Conflated subscriptions live here instead of in `hub`. */
  conflation: ConflationHub;
  /** Book channels start with a snapshot or the missed messages from the gateway's fold (docs/books.md). */
  books?: BookStore;
  metrics: GatewayMetrics;
  logger: Logger;
  maxSubscriptions: number;
  /** Channels and patterns every admitted connection may read (`--public-channels`). */
  publicChannels: readonly string[];
  /** The channel names this gateway carries (`--channel-families`); others are answered UNKNOWN_CHANNEL. */
  channelFamilies: readonly string[];
}

export async function handleSubscribe(ctx: SubscribeContext, conn: ClientConnection, request: SubscribeRequest): Promise<void> {
  for (const raw of request.channels) {
    const entry: SubscribeEntry = typeof raw === 'string' ? { channel: raw } : raw;
    if (!conn.isOpen) return;
    await subscribeOne(ctx, conn, entry, request.id);
  }
}

/**
 * What a subscription starts with: a recovered history page to replay page
 * by page (a resume), or the messages to send before `subscribed` (latest
 * values), and the seam.
 */
interface Start {
  page?: HistoryPage;
  messages: BrokerMessage[];
  positionSeq: number;
  recovered: boolean | undefined;
}

async function subscribeOne(ctx: SubscribeContext, conn: ClientConnection, entry: SubscribeEntry, id: RequestId | undefined): Promise<void> {
  const { channel, since } = entry;
  const check = checkChannel(channel);
  if (!check.ok) {
    conn.sendError(ErrorCode.INVALID_CHANNEL, check.reason, id, typeof channel === 'string' ? channel.slice(0, 128) : undefined);
    return;
  }
  const unknown = unknownChannelReason(channel, ctx.channelFamilies);
  if (unknown !== undefined) {
    conn.sendError(ErrorCode.UNKNOWN_CHANNEL, unknown, id, channel);
    return;
  }
  if (!mayReadWith(channel, conn.user, ctx.publicChannels, conn.grants)) {
    conn.sendError(ErrorCode.FORBIDDEN, 'private channel of another user, a pattern that could match one, or a channel neither public nor granted by the token', id, channel);
    return;
  }
  const conflate = entry.conflate !== undefined ? conflateBucket(entry.conflate) : 0;
  if (conflate > 0 && !isConflatable(channel)) {
    conn.sendError(ErrorCode.NOT_CONFLATABLE, 'the channel carries events (trades), or the pattern can match such a channel: every message counts, so it cannot be conflated', id, channel);
    return;
  }
  // The first entry the client may have replaces the default channels; a refused one keeps them.
  dropDefaultChannels(ctx, conn);
  const overlap = overlappingSubscription(conn, channel);
  if (overlap !== undefined) {
    conn.sendError(ErrorCode.OVERLAPPING_SUBSCRIPTION, `can match the same channels as the subscription ${JSON.stringify(overlap)}; unsubscribe it first`, id, channel);
    return;
  }
  const previous = conn.subscription(channel);
  // A reference client numbers messages per connection: subscribing again to what it has would
  // replay the same messages under new seq numbers. Its subscription goes on as it is.
  if (previous && conn.reference) return;
  if (!previous && conn.subscriptionCount >= ctx.maxSubscriptions) {
    conn.sendError(ErrorCode.TOO_MANY_SUBSCRIPTIONS, `at most ${ctx.maxSubscriptions} subscriptions per connection`, id, channel);
    return;
  }
  if (previous) endSubscription(ctx, previous);
  const sub = new Subscription(conn, channel, check.wildcard, conflate);
  if (!addSubscription(ctx, conn, sub)) return;

  const started = performance.now();
  const start: Start = ctx.books && isBookChannel(channel) ? await ctx.books.startFor(channel, since, entry.depth) : await readStart(ctx, conn, entry, id);
  if (sub.isClosed || !conn.isOpen) return;
  if (since) conn.send({ type: 'replaying', ...(id !== undefined ? { id } : {}), channel, recovered: start.recovered === true });
  sub.startReplay();
  // A conflated resume sends the newest message per channel, standing for the others (`skipped`), not the backlog: page by page.
  const shape = conflate > 0 ? conflateAll : undefined;
  const written = start.page ? await replayHistory(ctx, conn, sub, start.page, shape) : await writeLatest(ctx, conn, sub, start.messages);
  if (written === undefined) return;
  ctx.metrics.historyReplayed.inc(written.replayed);
  const seam = seamOf(start.positionSeq, written.newestSeq);
  const answer: SubscribedMessage = {
    type: 'subscribed',
    ...(id !== undefined ? { id } : {}),
    channel,
    ...(start.recovered !== undefined ? { recovered: start.recovered } : {}),
    replayed: written.replayed,
    position: { seq: seam, epoch: ctx.broker.epoch() },
    ...(conflate > 0 ? { conflate } : {}),
  };
  conn.send(answer);
  if (conflate > 0) ctx.conflation.goLive(sub, seam);
  else ctx.hub.goLive(sub, seam);
  if (since) ctx.metrics.resumeDuration.observe((performance.now() - started) / 1000);
}

/** What was written before `subscribed`; undefined when the connection or subscription ended first. */
interface Written {
  replayed: number;
  newestSeq: number;
}

async function writeLatest(ctx: SubscribeContext, conn: ClientConnection, sub: Subscription, messages: readonly BrokerMessage[]): Promise<Written | undefined> {
  if (!(await writeReplay(ctx.hub, conn, sub, messages))) return undefined;
  return { replayed: messages.length, newestSeq: messages.reduce((newest, m) => Math.max(newest, m.seq), 0) };
}

/**
 * Writes a recovered replay page by page. The client was told
 * `recovered:true`, so a replay that cannot be finished is never followed by
 * live messages (that would be a gap): the connection is closed, and the
 * client resumes from the newest seq it processed. 1012 when history after
 * it was removed meanwhile (the resume answers recovered:false), 1011 when
 * the broker could not be read.
 */
async function replayHistory(ctx: SubscribeContext, conn: ClientConnection, sub: Subscription, first: HistoryPage, shape: PageShape | undefined): Promise<Written | undefined> {
  const end = await writeHistoryReplay(ctx.hub, ctx.broker, conn, sub, first, shape);
  switch (end.kind) {
    case 'done':
      return { replayed: end.replayed, newestSeq: end.newestSeq };
    case 'closed':
      return undefined;
    case 'lost':
      ctx.logger.warn({ event: 'replay_history_lost', session: conn.id, channel: sub.pattern, replayed: end.replayed }, 'history was removed before the replay reached it: closing 1012');
      conn.close(CloseCode.HISTORY_RESET);
      return undefined;
    case 'unavailable':
      ctx.logger.warn({ event: 'replay_history_unavailable', session: conn.id, channel: sub.pattern, replayed: end.replayed, err: String(end.error) }, 'history could not be read during a replay: closing 1011');
      conn.close(CloseCode.INTERNAL_ERROR);
      return undefined;
  }
}

/** Reads the first history page (resume) or the latest value from the broker. */
async function readStart(ctx: SubscribeContext, conn: ClientConnection, entry: SubscribeEntry, id: RequestId | undefined): Promise<Start> {
  const { channel, since } = entry;
  try {
    if (since) {
      ctx.metrics.replayRequests.inc();
      const page = await ctx.broker.historyPage(channel, since, { maxBytes: replayPageBytes(conn) });
      if (page.recovered) {
        ctx.metrics.resumes.inc({ result: 'recovered' });
        return { page, messages: [], positionSeq: page.position.seq, recovered: true };
      }
      const latest = await ctx.broker.latest(channel);
      ctx.metrics.resumes.inc({ result: 'not_recovered' });
      return { messages: latest.messages, positionSeq: latest.position.seq, recovered: false };
    }
    const latest = await ctx.broker.latest(channel);
    return { messages: entry.latest ? latest.messages : [], positionSeq: latest.position.seq, recovered: undefined };
  } catch (err) {
    ctx.logger.warn({ event: 'history_unavailable', session: conn.id, channel, err: String(err) }, 'history read failed');
    if (since) ctx.metrics.resumes.inc({ result: 'unavailable' });
    conn.sendError(ErrorCode.HISTORY_UNAVAILABLE, 'history could not be read; subscribed to live messages only', id, channel);
    return { messages: [], positionSeq: await knownPosition(ctx.broker, channel), recovered: since ? false : undefined };
  }
}

/**
 * The newest position this instance knows on `channel` without reading
 * history (the live consumer's view over NATS), so that an unavailable
 * history still answers a real position; 0 only when none is known.
 */
async function knownPosition(broker: Broker, channel: string): Promise<Position['seq']> {
  try {
    return (await broker.latest(channel)).position.seq;
  } catch {
    return 0;
  }
}

export function handleUnsubscribe(ctx: SubscribeContext, conn: ClientConnection, request: UnsubscribeRequest): void {
  dropDefaultChannels(ctx, conn);
  for (const channel of request.channels) {
    const sub = conn.subscription(channel);
    if (sub) endSubscription(ctx, sub);
  }
  conn.send({ type: 'unsubscribed', ...(request.id !== undefined ? { id: request.id } : {}), channels: request.channels });
}

/**
 * Subscribes a new connection to the configured default channels (public,
 * validated at start-up), live from now on, without answers: for clients
 * that never subscribe. They are dropped at its first subscribe or unsubscribe.
 */
export function subscribeDefaultChannels(ctx: SubscribeContext, conn: ClientConnection, channels: readonly string[]): void {
  if (channels.length === 0) return;
  for (const channel of channels) {
    const sub = new Subscription(conn, channel, channel.includes('*') || channel.endsWith('>'));
    if (!addSubscription(ctx, conn, sub)) return;
    ctx.hub.goLive(sub, 0);
  }
  conn.enterDefaultChannels();
}

function dropDefaultChannels(ctx: SubscribeContext, conn: ClientConnection): void {
  if (conn.leaveDefaultChannels()) removeAllSubscriptions(ctx, conn);
}

/** Drops every subscription of a closed connection. */
export function removeAllSubscriptions(ctx: SubscribeContext, conn: ClientConnection): void {
  for (const sub of conn.subscriptionList()) endSubscription(ctx, sub);
}

/** The one way a subscription starts: into the connection (refused once it is closing or closed), the hub, counted once. */
function addSubscription(ctx: SubscribeContext, conn: ClientConnection, sub: Subscription): boolean {
  if (!conn.addSubscription(sub)) return false;
  if (sub.conflate > 0) ctx.conflation.add(sub);
  else ctx.hub.add(sub);
  ctx.metrics.subscriptionsActive.inc();
  return true;
}

/** The one way a subscription ends: out of the hub, out of the connection, counted once. */
function endSubscription(ctx: SubscribeContext, sub: Subscription): void {
  if (!sub.close()) return;
  ctx.hub.remove(sub);
  ctx.conflation.remove(sub);
  sub.conn.removeSubscription(sub);
  ctx.metrics.subscriptionsActive.dec();
}
