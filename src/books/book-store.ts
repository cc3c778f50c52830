// The gateway's books: one fold per book channel (book-channel.ts), fed by
// every live message in stream order before it fans out, so a message is
// folded and checksummed once per gateway, never per client. Serves the
// start of a book subscription (a snapshot, or the missed messages of a
// resume), rebuilds a book from history when this gateway did not see its
// beginning (start, a gap, a new epoch), and counts what it refuses.
import type { Broker, BrokerMessage, Position } from '../broker/broker.js';
import { readWholeHistory } from '../broker/history-pager.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import { isBookChannel } from './book-message.js';
import { BookChannel, type FoldOutcome } from './book-channel.js';
import { MAX_BOOK_LEVELS } from './order-book.js';

/** Control topic asking publishers for a fresh snapshot of `{channel}` (docs/books.md). */
export const BOOK_SNAPSHOT_TOPIC = 'book-snapshot';
/** A channel asks its publisher for a snapshot at most this often. */
const SNAPSHOT_REQUEST_INTERVAL_MS = 1000;
/** Recent messages a book keeps for resumes at most, whatever the history size. */
const MAX_RECENT_MESSAGES = 10_000;

export interface BookStart {
  /** The snapshot, or the missed messages (as clients receive them). */
  messages: BrokerMessage[];
  positionSeq: number;
  recovered: boolean | undefined;
}

export interface BookStoreOptions {
  broker: Broker;
  metrics: GatewayMetrics;
  logger: Logger;
  /** Recent messages each book keeps for resumes (the history size). */
  maxRecent: number;
}

export class BookStore {
  private channels = new Map<string, BookChannel>();
  private readonly rebuilds = new Map<BookChannel, Promise<void>>();
  private readonly snapshotRequested = new Map<string, number>();
  private refusals = 0;
  private crossings = 0;

  constructor(private readonly o: BookStoreOptions) {
    o.maxRecent = Math.min(o.maxRecent, MAX_RECENT_MESSAGES);
  }

  /** Folds a live message of a book channel (any other channel is left alone). Before fan-out. */
  onMessage(m: BrokerMessage): void {
    if (!isBookChannel(m.channel)) return;
    let c = this.channels.get(m.channel);
    if (!c || c.epoch !== m.epoch) {
      c = new BookChannel(m.channel, m.epoch, this.o.maxRecent, 'live');
      this.channels.set(m.channel, c);
      this.o.metrics.bookChannels.set(this.channels.size);
    }
    if (c.state === 'rebuilding') {
      c.pending.push(m);
      return;
    }
    if (m.seq <= c.seq) return;
    if (!c.continues(m)) {
      // This gateway did not see what came before: rebuild from history, this message included.
      c.pending.push(m);
      void this.rebuild(c, 'gap');
      return;
    }
    this.account(c, m, c.fold(m));
  }

  /** A new epoch: every book belongs to the old history. They rebuild on demand. */
  reset(): void {
    this.channels = new Map();
    this.o.metrics.bookChannels.set(0);
  }

  /**
   * What a subscription to a book channel starts with: without `since`, one
   * snapshot at the current position; with `since` this fold covers, the
   * missed messages (recovered); otherwise a snapshot (not recovered).
   * Read synchronously once the book is ready, so the position is the seam.
   */
  async startFor(channel: string, since: Position | undefined, depth: number | undefined): Promise<BookStart> {
    const c = await this.ready(channel);
    const snapshot = c.snapshot(depth ?? MAX_BOOK_LEVELS);
    const fresh = { messages: snapshot ? [snapshot] : [], positionSeq: c.seq };
    if (!since) return { ...fresh, recovered: undefined };
    this.o.metrics.replayRequests.inc();
    const missed = since.epoch === c.epoch ? c.after(since.seq) : undefined;
    if (missed) {
      this.o.metrics.resumes.inc({ result: 'recovered' });
      return { messages: missed, positionSeq: Math.max(c.seq, since.seq), recovered: true };
    }
    this.o.metrics.resumes.inc({ result: 'not_recovered' });
    return { ...fresh, recovered: false };
  }

  /** The book at its newest position (server API `GET /api/book`); undefined while it has no base. */
  async snapshot(channel: string, depth: number): Promise<{ message: BrokerMessage | undefined; seq: number; epoch: string }> {
    const c = await this.ready(channel);
    return { message: c.snapshot(depth), seq: c.seq, epoch: c.epoch };
  }

  private async ready(channel: string): Promise<BookChannel> {
    let c = this.channels.get(channel);
    if (!c || c.epoch !== this.o.broker.epoch()) {
      c = new BookChannel(channel, this.o.broker.epoch(), this.o.maxRecent, 'rebuilding');
      this.channels.set(channel, c);
      this.o.metrics.bookChannels.set(this.channels.size);
      void this.rebuild(c, 'start');
    }
    const rebuilding = this.rebuilds.get(c);
    if (rebuilding) await rebuilding;
    return c;
  }

  private rebuild(c: BookChannel, cause: 'start' | 'gap'): Promise<void> {
    let p = this.rebuilds.get(c);
    if (p) return p;
    const pending = c.pending;
    c.reset('rebuilding');
    c.pending = pending;
    p = this.doRebuild(c, cause).finally(() => this.rebuilds.delete(c));
    this.rebuilds.set(c, p);
    return p;
  }

  /** The last snapshot in history and every message after it; or all of history when it starts at the channel's beginning. */
  private async doRebuild(c: BookChannel, cause: 'start' | 'gap'): Promise<void> {
    let result: 'snapshot' | 'complete' | 'unsynced' = 'unsynced';
    try {
      const { messages, complete } = await retained(this.o.broker, c.channel, c.epoch);
      let from = -1;
      for (let i = messages.length - 1; i >= 0 && from < 0; i--) if (isSnapshot(messages[i]!)) from = i;
      if (from >= 0 || complete) {
        result = from >= 0 ? 'snapshot' : 'complete';
        c.state = 'live';
        for (let i = Math.max(from, 0); i < messages.length; i++) this.account(c, messages[i]!, c.fold(messages[i]!));
      } else {
        c.state = 'unsynced';
        const last = messages[messages.length - 1];
        if (last) c.skip(last);
      }
    } catch (err) {
      c.state = 'unsynced';
      this.o.logger.warn({ event: 'book_rebuild_failed', channel: c.channel, err: String(err) }, 'book history could not be read');
    }
    this.o.metrics.bookRebuilds.inc({ result });
    this.o.logger.info({ event: 'book_rebuilt', channel: c.channel, cause, result, seq: c.seq }, 'book rebuilt from history');
    if (c.state === 'unsynced') this.requestSnapshot(c.channel);
    // Live messages that arrived meanwhile: those past what history held, in order.
    const pending = c.pending;
    c.pending = [];
    for (const m of pending) {
      if (m.seq <= c.seq) continue;
      if (!c.continues(m) && c.state === 'live') {
        // History and the live stream do not meet: wait for the publisher's next snapshot instead of looping.
        c.state = 'unsynced';
        this.requestSnapshot(c.channel);
      }
      this.account(c, m, c.fold(m));
    }
  }

  private account(c: BookChannel, m: BrokerMessage, outcome: FoldOutcome): void {
    if (outcome.refused) {
      this.o.metrics.bookRefused.inc({ reason: outcome.refused.reason });
      // Powers of two: a flood is visible without flooding the logs.
      if ((++this.refusals & (this.refusals - 1)) === 0) {
        this.o.logger.warn({ event: 'book_message_refused', channel: c.channel, seq: m.seq, reason: outcome.refused.reason, detail: outcome.refused.message, refused: this.refusals }, 'book message refused: sent as an empty update');
      }
    }
    if (outcome.mismatch) {
      this.o.metrics.bookChecksumMismatches.inc();
      this.o.logger.warn(
        { event: 'book_checksum_mismatch', channel: c.channel, seq: m.seq, published: outcome.mismatch.published, folded: outcome.mismatch.folded },
        "the publisher's checksum differs from the book folded from the stream: asking the publisher for a snapshot",
      );
      this.requestSnapshot(c.channel);
    }
    if (outcome.crossed) {
      this.o.metrics.bookCrossed.inc();
      if ((++this.crossings & (this.crossings - 1)) === 0) {
        this.o.logger.info({ event: 'book_crossed', channel: c.channel, seq: m.seq, crossed: this.crossings }, 'book crossed after a fold (best bid at or above best ask): delivered as folded');
      }
    }
  }

  /** Asks publishers (control topic) for a snapshot of `channel`, at most once a second per channel. */
  private requestSnapshot(channel: string): void {
    const now = Date.now();
    if (now - (this.snapshotRequested.get(channel) ?? 0) < SNAPSHOT_REQUEST_INTERVAL_MS) return;
    this.snapshotRequested.set(channel, now);
    this.o.metrics.bookSnapshotRequests.inc();
    this.o.broker.publishControl(BOOK_SNAPSHOT_TOPIC, { channel }).catch((err: unknown) => {
      this.o.logger.warn({ event: 'book_snapshot_request_failed', channel, err: String(err) }, 'could not ask for a book snapshot');
    });
  }
}

function isSnapshot(m: BrokerMessage): boolean {
  try {
    return (JSON.parse(m.payload) as { kind?: unknown }).kind === 'snapshot';
  } catch {
    return false;
  }
}

/**
 * Every message of `channel` history still holds, and whether that is all
 * of it since the channel began. A history read from a position history no
 * longer covers answers nothing (recovered:false), so the oldest position it
 * still covers is found by bisecting: the lowest `since` that is still
 * complete (about log2(top) reads; a rebuild is rare: start, gap, epoch).
 */
async function retained(broker: Broker, channel: string, epoch: string): Promise<{ messages: BrokerMessage[]; complete: boolean }> {
  const all = await readWholeHistory(broker, channel, { seq: 0, epoch });
  if (all.recovered) return { messages: all.messages, complete: true };
  let lo = 0;
  let hi = all.position.seq;
  let best: BrokerMessage[] = [];
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const r = await readWholeHistory(broker, channel, { seq: mid, epoch });
    if (r.recovered) {
      hi = mid;
      best = r.messages;
    } else lo = mid;
  }
  if (best.length === 0 && hi === all.position.seq) best = (await readWholeHistory(broker, channel, { seq: hi, epoch })).messages;
  return { messages: best, complete: false };
}
