// history(pattern, since) over JetStream, page by page. Reads the retained
// messages after `since` on the pattern, then decides whether that is *everything* after
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
import { DeliverPolicy, JetStreamError, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { SUBJECT_PREFIX } from '@odin-gateway/client/channels';
import { isHistoryCursor, MESSAGE_OVERHEAD_BYTES, type BrokerMessage, type HistoryCursor, type HistoryPage, type HistoryPageOptions, type Position } from './broker.js';
import type { NatsChannelView } from './nats-channel-view.js';
import { nextMessageOn } from './nats-next-message.js';
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

/**
 * Messages one byte-bounded fetch returns at most: nats.js refuses
 * max_messages together with max_bytes, and asks for 100 messages when only
 * a byte bound is given. (Asking for both made every fetch throw, and every
 * page was read message by message: about 0.5 ms per message.)
 */
const FETCH_BATCH = 100;
const FETCH_EXPIRES_MS = 2000;
/** The smallest byte bound a fetch asks for (a message larger than a fetch's bound is read directly). */
const MIN_FETCH_BYTES = 4096;
/** A history consumer left behind (crash mid-read) is removed by the server after this. */
const READ_CONSUMER_INACTIVE_MS = 30_000;
/** Seqs probed one by one to prove that a gap before a subject's oldest message holds none of its messages. */
const MAX_GAP_PROBES = 256;

/** Channel -> seq of the last message of it a read returned, carried between pages (bounded). */
class LastOnSubject extends Map<string, number> {}
const MAX_CARRIED_SUBJECTS = 10_000;

/**
 * One page of history(pattern, from). The first page fixes the read's end
 * (`upTo`: the last seq the live consumer had taken in; later messages reach
 * the subscription live) and its position. Every page reads at most its byte
 * bound from the stream, then proves the rule above for what it read, with
 * its own start in place of since: so a page is recovered only when nothing
 * after the previous page was removed meanwhile.
 */
export async function readHistoryPage(ctx: HistoryReadContext, pattern: string, from: Position | HistoryCursor, options: HistoryPageOptions): Promise<HistoryPage> {
  const { view, epoch } = ctx;
  let s: number;
  let upTo: number;
  let position: Position;
  let carried: LastOnSubject;
  let startSeq: number;
  if (isHistoryCursor(from)) {
    if (from.position.epoch !== epoch) return notRecovered(from.position);
    s = from.after;
    upTo = from.upTo;
    position = from.position;
    carried = from.carry instanceof LastOnSubject ? from.carry : new LastOnSubject();
    startSeq = s + 1;
  } else {
    // Read before anything else: every live message already taken in is <= top,
    // and the gateway holds every later one in the subscription's pending list.
    const top = view.top(pattern);
    s = from.seq;
    if (from.epoch !== epoch) return notRecovered({ seq: top, epoch });
    if (s >= top) {
      // Every matching message this instance has taken in is at or before `s`;
      // later ones reach the subscription live. Nothing to read. If the live
      // consumer lags behind `s`, check that `s` exists at all.
      if (s > view.cursor) {
        const info = await ctx.jsm.streams.info(ctx.stream);
        if (s > info.state.last_seq) return notRecovered({ seq: top, epoch });
      }
      return { recovered: true, messages: [], next: undefined, complete: true, position: { seq: s, epoch } };
    }
    upTo = view.cursor;
    position = { seq: Math.max(top, s), epoch };
    carried = new LastOnSubject();
    // From `s` itself: when it is on a matching subject, it is its channel's predecessor.
    startSeq = Math.max(s, 1);
  }

  // The message at `s` itself (read for its prev link) does not count towards the page's bound.
  const bound = startSeq <= s && options.maxMessages !== undefined ? { ...options, maxMessages: options.maxMessages + 1 } : options;
  const read = await readRange(ctx, SUBJECT_PREFIX + pattern, startSeq, upTo, bound);
  const info = await ctx.jsm.streams.info(ctx.stream, { subjects_filter: SUBJECT_PREFIX + pattern });
  if (s + 1 < info.state.first_seq) return notRecovered(position);

  // Chain prev links through what was read; the first message on a subject
  // gets its prev from `since` itself (when it is on that subject), from the
  // previous page (proven below like the rest), from what the live consumer
  // saw, or else from the stream (a search).
  const lastOnSubject = new Map<string, number>();
  const prevInRead = new Map<number, number>();
  const messages: BrokerMessage[] = [];
  for (const m of read.records) {
    const channel = channelOf(m);
    if (channel === undefined) continue;
    if (m.seq <= s) {
      if (m.seq === s) lastOnSubject.set(channel, s);
      continue;
    }
    // prev is exact when known; 0 ("unknown") only when no predecessor is
    // retained, and then the check below decides whether anything is missing.
    // A prev carried from the previous page is not evidence for that check:
    // the messages between it and this one may have been removed since.
    const inRead = lastOnSubject.get(channel) ?? view.knownPrev(m.seq);
    const prev = inRead ?? carried.get(channel) ?? (await retainedPredecessor(ctx, m.subject, m.seq, info.state.first_seq));
    if (inRead !== undefined) prevInRead.set(m.seq, inRead);
    messages.push(toBrokerMessage(m, channel, prev ?? 0, epoch));
    lastOnSubject.set(channel, m.seq);
  }

  const perSubjectLimit = info.config.max_msgs_per_subject > 0 ? info.config.max_msgs_per_subject : Infinity;
  for (const [subject, count] of Object.entries(info.state.subjects ?? {})) {
    if (count < perSubjectLimit) continue;
    const oldest = await nextMessageOn(ctx.jsm, ctx.stream, subject, 0);
    if (!oldest || oldest.seq <= s) continue;
    // Something older on this subject was removed. Proven harmless only when
    // its predecessor is known to be at or before `s`, or when no seq between
    // `s` and the oldest one can have been on this subject.
    const prev = prevInRead.get(oldest.seq) ?? view.knownPrev(oldest.seq);
    if (prev !== undefined && prev <= s) continue;
    if (prev === undefined && (await gapHoldsOnlyOtherSubjects(ctx, subject, s, oldest.seq))) continue;
    return notRecovered(position);
  }

  if (!read.more) return { recovered: true, messages, next: undefined, complete: true, position };
  for (const [channel, seq] of lastOnSubject) carryLast(carried, channel, seq);
  const after = read.records[read.records.length - 1]?.seq ?? s;
  return { recovered: true, messages, next: { pattern, after, upTo, position, carry: carried }, complete: false, position };
}

/** Remembers a subject's last returned seq for the next page; the least recently seen is dropped past the bound. */
function carryLast(carried: LastOnSubject, channel: string, seq: number): void {
  carried.delete(channel);
  carried.set(channel, seq);
  if (carried.size > MAX_CARRIED_SUBJECTS) {
    const oldest = carried.keys().next().value;
    if (oldest !== undefined) carried.delete(oldest);
  }
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
    const m = await nextMessageOn(ctx.jsm, ctx.stream, subject, mid).catch(() => null);
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
    const m = await nextMessageOn(ctx.jsm, ctx.stream, `${SUBJECT_PREFIX}>`, next).catch(() => null);
    if (!m || m.seq !== next || m.subject === subject) return false;
    next++;
  }
  return true;
}

function notRecovered(position: Position): HistoryPage {
  return { recovered: false, messages: [], next: undefined, complete: true, position };
}

interface RangeRead {
  records: StreamRecord[];
  /** False when the read reached `upTo` or the stream's end: no page follows. */
  more: boolean;
}

/** The page is full: it reached its byte or message bound. */
function pageFull(records: readonly StreamRecord[], bytes: number, options: HistoryPageOptions): boolean {
  return bytes >= options.maxBytes || records.length >= (options.maxMessages ?? Infinity);
}

function recordBytes(r: StreamRecord): number {
  return r.data.length + r.subject.length + MESSAGE_OVERHEAD_BYTES;
}

/**
 * The messages on `filter` from `startSeq` up to `upTo` (the last seq the
 * live consumer had taken in at the read's first page), one page of them.
 * Fast path: a short-lived ordered consumer, asked for no more than the
 * page's bytes. In a cluster such a consumer can be placed on a dead node and
 * never answer; then, or when it stops early, the rest of the page is read
 * message by message from the stream leader.
 */
async function readRange(ctx: HistoryReadContext, filter: string, startSeq: number, upTo: number, options: HistoryPageOptions): Promise<RangeRead> {
  const records: StreamRecord[] = [];
  const fast = await readWithConsumer(ctx, filter, startSeq, upTo, options, records).catch((): ConsumerRead => 'short');
  if (fast === 'end') return { records, more: false };
  if (fast === 'full') return { records, more: records[records.length - 1]!.seq < upTo };
  let bytes = records.reduce((sum, r) => sum + recordBytes(r), 0);
  let next = records.length > 0 ? records[records.length - 1]!.seq + 1 : startSeq;
  while (next <= upTo && !pageFull(records, bytes, options)) {
    const m = await nextMessageOn(ctx.jsm, ctx.stream, filter, next);
    if (!m || m.seq > upTo) return { records, more: false };
    const record = recordOfStoredMsg(m);
    records.push(record);
    bytes += recordBytes(record);
    next = m.seq + 1;
  }
  return { records, more: next <= upTo };
}

/**
 * A byte-bounded pull ends with status 409 "Batch Completed" (or "Message
 * Size Exceeds MaxBytes" when the next message would not fit), which nats.js's
 * fetch raises as an error: the pull is over, not failed; the next one goes on.
 */
function pullCompleted(err: unknown): boolean {
  // JetStreamStatusError (its status code in `code`) is not exported by nats.js's public module.
  return err instanceof JetStreamError && (err as JetStreamError & { code?: unknown }).code === 409 && /batch completed|message size exceeds maxbytes/i.test(err.message);
}

/** 'end': read up to upTo or the end; 'full': the page is full; 'short': fewer messages came than announced. */
type ConsumerRead = 'end' | 'full' | 'short';

/** Reads one page with an ordered consumer into `out`. */
async function readWithConsumer(ctx: HistoryReadContext, filter: string, startSeq: number, upTo: number, options: HistoryPageOptions, out: StreamRecord[]): Promise<ConsumerRead> {
  const consumer = await ctx.readJs.consumers.get(ctx.stream, {
    filter_subjects: filter,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: startSeq,
    inactive_threshold: READ_CONSUMER_INACTIVE_MS,
  });
  let got = 0;
  let bytes = 0;
  try {
    // num_pending at creation: how many matching messages the stream held then.
    const total = (await consumer.info(true)).num_pending;
    while (got < total) {
      const wanted = Math.min(FETCH_BATCH, total - got, (options.maxMessages ?? Infinity) - out.length);
      const before = got;
      // Never more than the page's bytes in flight: a reader that stops here holds at most one page.
      const batch = await consumer.fetch({ max_bytes: Math.max(options.maxBytes - bytes, MIN_FETCH_BYTES), expires: FETCH_EXPIRES_MS });
      try {
        for await (const m of batch) {
          if (m.seq > upTo) return 'end';
          const record = recordOfJsMsg(m);
          out.push(record);
          bytes += recordBytes(record);
          got++;
          if (pageFull(out, bytes, options)) return got < total ? 'full' : 'end';
          // A pull for more than remain would wait out its expiry: stop at what the stream held.
          if (got >= total) return 'end';
        }
      } catch (err) {
        if (!pullCompleted(err)) throw err;
      }
      // Fewer than asked for: the byte bound, removed meanwhile, or the consumer failed.
      if (got - before < wanted) return 'short';
    }
    return 'end';
  } finally {
    consumer.delete().catch(() => undefined);
  }
}
