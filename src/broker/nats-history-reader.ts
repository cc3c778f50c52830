// history(pattern, since) over JetStream. Reads the retained messages after
// `since` on the pattern, then decides whether that is *everything* after
// `since` (recovered) or whether some message may have been removed by the
// stream's limits meanwhile. `recovered: true` is proven, never assumed; when
// a check cannot decide, the answer is false. The rule (docs/scaling.md,
// "The recovered rule"):
//   1. since.epoch is the stream's epoch;
//   2. nothing after since.seq was removed from the front of the stream
//      (age limit): since.seq + 1 >= the stream's first seq, read after the
//      messages were fetched;
//   3. for every matching subject that is full (holds max_msgs_per_subject
//      messages, so the per-subject limit may have removed something), the
//      oldest message still retained on it is at or before since.seq, or it
//      is proven that no message of the subject lies between since.seq and
//      that oldest one: this instance saw its predecessor live (a known
//      prev at or before since.seq), or every seq in between is still in the
//      stream on another subject (a bounded probe).
// JetStream removes a subject's messages oldest first (per-subject limit) and
// the stream's messages oldest first (age), so these checks are sound;
// explicit deletes or purges by an operator are not detected.
import { DeliverPolicy, type JetStreamClient, type JetStreamManager, type MsgRequest } from '@nats-io/jetstream';
import { SUBJECT_PREFIX } from '@odin-gateway/client/channels';
import type { BrokerMessage, HistoryResult, Position } from './broker.js';
import type { NatsChannelView } from './nats-channel-view.js';
import { channelOf, recordOfJsMsg, recordOfStoredMsg, toBrokerMessage, type StreamRecord } from './nats-message.js';

export class HistoryReadError extends Error {
  override name = 'HistoryReadError';
}

export interface HistoryReadContext {
  /** For the read consumer: a short request timeout, because a failed create falls back to direct reads. */
  readJs: JetStreamClient;
  jsm: JetStreamManager;
  stream: string;
  epoch: string;
  view: NatsChannelView;
}

const FETCH_BATCH = 1000;
const FETCH_EXPIRES_MS = 2000;
/** A history consumer left behind (crash mid-read) is removed by the server after this. */
const READ_CONSUMER_INACTIVE_MS = 30_000;
/** Seqs probed one by one to prove that a gap before a subject's oldest message holds none of its messages. */
const MAX_GAP_PROBES = 256;

export async function readHistory(ctx: HistoryReadContext, pattern: string, since: Position): Promise<HistoryResult> {
  const { view, epoch } = ctx;
  // Read before anything else: every live message already taken in is <= top,
  // and the gateway holds every later one in the subscription's pending list.
  const top = view.top(pattern);
  const takenIn = view.cursor;
  const s = since.seq;
  if (since.epoch !== epoch) return notRecovered(top, epoch);

  if (s >= top) {
    // Every matching message this instance has taken in is at or before `s`;
    // later ones reach the subscription live. Nothing to read. If the live
    // consumer lags behind `s`, check that `s` exists at all.
    if (s > view.cursor) {
      const info = await ctx.jsm.streams.info(ctx.stream);
      if (s > info.state.last_seq) return notRecovered(top, epoch);
    }
    return { recovered: true, messages: [], position: { seq: s, epoch } };
  }

  const fetched = await readRange(ctx, SUBJECT_PREFIX + pattern, Math.max(s, 1), takenIn);
  const info = await ctx.jsm.streams.info(ctx.stream, { subjects_filter: SUBJECT_PREFIX + pattern });
  if (s + 1 < info.state.first_seq) return notRecovered(top, epoch);

  // Chain prev links through what was read; the first message on a subject
  // gets its prev from `since` itself (when it is on that subject), from
  // what the live consumer saw, or else from the stream (a search).
  const lastOnSubject = new Map<string, number>();
  const prevInRead = new Map<number, number>();
  const messages: BrokerMessage[] = [];
  for (const m of fetched) {
    const channel = channelOf(m);
    if (channel === undefined) continue;
    if (m.seq <= s) {
      if (m.seq === s) lastOnSubject.set(channel, s);
      continue;
    }
    // prev is exact when known; 0 ("unknown") only when no predecessor is
    // retained, and then the check below decides whether anything is missing.
    const prev = lastOnSubject.get(channel) ?? view.knownPrev(m.seq) ?? (await retainedPredecessor(ctx, m.subject, m.seq, info.state.first_seq));
    if (prev !== undefined) prevInRead.set(m.seq, prev);
    messages.push(toBrokerMessage(m, channel, prev ?? 0, epoch));
    lastOnSubject.set(channel, m.seq);
  }

  const perSubjectLimit = info.config.max_msgs_per_subject > 0 ? info.config.max_msgs_per_subject : Infinity;
  for (const [subject, count] of Object.entries(info.state.subjects ?? {})) {
    if (count < perSubjectLimit) continue;
    const oldest = await ctx.jsm.streams.getMessage(ctx.stream, { next_by_subj: subject, seq: 0 } as unknown as MsgRequest);
    if (!oldest || oldest.seq <= s) continue;
    // Something older on this subject was removed. Proven harmless only when
    // its predecessor is known to be at or before `s`, or when no seq between
    // `s` and the oldest one can have been on this subject.
    const prev = prevInRead.get(oldest.seq) ?? view.knownPrev(oldest.seq);
    if (prev !== undefined && prev <= s) continue;
    if (prev === undefined && (await gapHoldsOnlyOtherSubjects(ctx, subject, s, oldest.seq))) continue;
    return notRecovered(top, epoch);
  }

  const newest = messages.length > 0 ? messages[messages.length - 1]!.seq : 0;
  return { recovered: true, messages, position: { seq: Math.max(top, s, newest), epoch } };
}

/**
 * The newest retained message on `subject` before `before` (undefined when
 * there is none), for the first replayed message of a subject this instance
 * never saw the predecessor of: a wildcard resume served by an instance that
 * started later. JetStream can look forward by subject only, so this is a
 * binary search over seqs with "first message on the subject at or after":
 * about log2(before - firstSeq) requests, each halving the range or moving
 * past a hit. Exact when found, because a subject loses its messages oldest
 * first: nothing between the answer and `before` can be missing. "None
 * retained" proves nothing about what was removed, so it is not a 0.
 */
async function retainedPredecessor(ctx: HistoryReadContext, subject: string, before: number, firstSeq: number): Promise<number | undefined> {
  let found: number | undefined;
  let lo = Math.max(firstSeq, 1);
  let hi = before - 1;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi + 1) / 2);
    const m = await ctx.jsm.streams.getMessage(ctx.stream, { next_by_subj: subject, seq: mid } as unknown as MsgRequest).catch(() => null);
    if (m && m.seq < before) {
      found = m.seq;
      lo = m.seq + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/**
 * True when every seq strictly between `after` and `oldest` is still in the
 * stream on a subject other than `subject`: then none of them was this
 * subject's, and its removed messages all lie at or before `after`. A seq
 * that is gone could have been this subject's, so it answers false, as does
 * a gap wider than MAX_GAP_PROBES (the cost of a proof stays bounded; the
 * answer errs towards recovered:false).
 */
async function gapHoldsOnlyOtherSubjects(ctx: HistoryReadContext, subject: string, after: number, oldest: number): Promise<boolean> {
  if (oldest - after - 1 > MAX_GAP_PROBES) return false;
  let next = after + 1;
  while (next < oldest) {
    const m = await ctx.jsm.streams.getMessage(ctx.stream, { next_by_subj: `${SUBJECT_PREFIX}>`, seq: next } as unknown as MsgRequest).catch(() => null);
    if (!m || m.seq !== next || m.subject === subject) return false;
    next++;
  }
  return true;
}

function notRecovered(top: number, epoch: string): HistoryResult {
  return { recovered: false, messages: [], position: { seq: top, epoch } };
}

/**
 * Every message on `filter` from `startSeq` up to at least `upTo` (the last
 * seq the live consumer had taken in: later ones reach the subscription live).
 * Fast path: a short-lived ordered consumer. In a cluster such a consumer can
 * be placed on a dead node and never answer; then, or when it stops early,
 * the rest is read message by message from the stream leader.
 */
async function readRange(ctx: HistoryReadContext, filter: string, startSeq: number, upTo: number): Promise<StreamRecord[]> {
  const out: StreamRecord[] = [];
  const complete = await readWithConsumer(ctx, filter, startSeq, out).catch(() => false);
  if (complete) return out;
  let next = out.length > 0 ? out[out.length - 1]!.seq + 1 : startSeq;
  while (next <= upTo) {
    const m = await ctx.jsm.streams.getMessage(ctx.stream, { next_by_subj: filter, seq: next } as unknown as MsgRequest);
    if (!m || m.seq > upTo) break;
    out.push(recordOfStoredMsg(m));
    next = m.seq + 1;
  }
  return out;
}

/** Reads with an ordered consumer into `out`; true when it got every message it announced. */
async function readWithConsumer(ctx: HistoryReadContext, filter: string, startSeq: number, out: StreamRecord[]): Promise<boolean> {
  const consumer = await ctx.readJs.consumers.get(ctx.stream, {
    filter_subjects: filter,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: startSeq,
    inactive_threshold: READ_CONSUMER_INACTIVE_MS,
  });
  let got = 0;
  try {
    // num_pending at creation: how many matching messages the stream held then.
    const total = (await consumer.info(true)).num_pending;
    while (got < total) {
      const wanted = Math.min(FETCH_BATCH, total - got);
      const before = got;
      const batch = await consumer.fetch({ max_messages: wanted, expires: FETCH_EXPIRES_MS });
      for await (const m of batch) {
        out.push(recordOfJsMsg(m));
        got++;
      }
      // Fewer than announced: removed meanwhile, or the consumer failed.
      if (got - before < wanted) return false;
    }
    return true;
  } finally {
    consumer.delete().catch(() => undefined);
  }
}
