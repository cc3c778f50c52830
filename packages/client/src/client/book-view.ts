// client.book(channel, {depth}): a verified local order book on a book
// channel (docs/books.md). It subscribes with `depth`, applies the snapshot
// and every update (protocol/book.ts), compares each checksum, and after a
// mismatch drops its book and subscribes again without `since` for a fresh
// snapshot (client.resubscribe: it unsubscribes first and ignores what the
// server sent before it took the unsubscribe in). A resume answered `recovered:false`
// is followed by a fresh snapshot from the server: the book waits for it.
import { LocalBook, type BookLevel, type BookMessageData } from '../protocol/book.js';
import type { DataMessage, Position } from '../protocol/messages.js';
import { TypedEmitter } from './typed-emitter.js';
import type { OdinClient, Subscription } from './odin-client.js';

export interface BookOptions {
  /** Levels per side to keep: 10, 25, 100 or 1000 (the default: the whole book as the gateway keeps it). */
  depth?: 10 | 25 | 100 | 1000;
}

export interface BookViewStats {
  /** Messages whose checksum matched the local book. */
  verified: number;
  /** Messages whose checksum did not: each one dropped the book and resubscribed. */
  mismatches: number;
  /** Fresh snapshots asked for or received after a loss: mismatches plus resumes answered recovered:false. */
  resyncs: number;
}

export interface BookMismatch {
  channel: string;
  seq: number;
  /** The checksum the message carried. */
  expected: number;
  /** The checksum of the local book after applying it. */
  computed: number;
}

export interface BookViewEvents {
  /** After each verified message: the book is current and proven. */
  update: [view: BookView, message: DataMessage<BookMessageData>];
  mismatch: [info: BookMismatch];
  /** The book was dropped and waits for a fresh snapshot. */
  resync: [reason: 'mismatch' | 'not_recovered'];
}

export class BookView extends TypedEmitter<BookViewEvents> {
  readonly stats: BookViewStats = { verified: 0, mismatches: 0, resyncs: 0 };
  private readonly local: LocalBook;
  private readonly subscription: Subscription;
  private readonly offResync: () => void;
  private closed = false;
  private lastPosition: Position | undefined;

  constructor(
    private readonly client: OdinClient,
    readonly channel: string,
    options: BookOptions = {},
  ) {
    super();
    this.local = new LocalBook(options.depth ?? 1000);
    this.subscription = this.subscribe();
    this.offResync = client.on('resync', (info) => {
      if (info.channel !== channel || this.closed) return;
      this.local.reset();
      this.stats.resyncs++;
      this.emit('resync', 'not_recovered');
    });
  }

  /** Levels per side this view keeps. */
  get depth(): number {
    return this.local.depth;
  }

  /** Bids, best (highest) first; empty until the first snapshot. */
  get bids(): readonly BookLevel[] {
    return this.local.bids;
  }

  /** Asks, best (lowest) first. */
  get asks(): readonly BookLevel[] {
    return this.local.asks;
  }

  get bestBid(): BookLevel | undefined {
    return this.local.bids[0];
  }

  get bestAsk(): BookLevel | undefined {
    return this.local.asks[0];
  }

  /** True while the book holds a snapshot and every message since verified. */
  get verified(): boolean {
    return this.local.synced;
  }

  /** The checksum of the book as it is now. */
  get checksum(): number {
    return this.local.checksum();
  }

  /** The position of the last message applied. */
  get position(): Position | undefined {
    return this.lastPosition;
  }

  /** Settles with the subscription's first answer. */
  get ready(): Promise<unknown> {
    return this.subscription.ready;
  }

  /** Unsubscribes; the view keeps its last book. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.offResync();
    this.subscription.unsubscribe();
  }

  private subscribe(): Subscription {
    const depth = this.local.depth === 1000 ? {} : { depth: this.local.depth };
    return this.client.subscribe(this.channel, (data, message) => this.onMessage(data as BookMessageData, message as DataMessage<BookMessageData>), { latest: false, ...depth });
  }

  private onMessage(data: BookMessageData, message: DataMessage<BookMessageData>): void {
    if (this.closed || message.channel !== this.channel) return;
    const result = this.local.apply(data);
    if (result === 'unsynced') return;
    this.lastPosition = { seq: message.seq, epoch: message.epoch };
    if (result === 'verified') {
      this.stats.verified++;
      this.emit('update', this, message);
      return;
    }
    this.stats.mismatches++;
    this.stats.resyncs++;
    this.emit('mismatch', { channel: this.channel, seq: message.seq, expected: data.checksum, computed: this.local.lastComputed ?? 0 });
    this.emit('resync', 'mismatch');
    // A fresh subscribe without since (the old position would resume the broken book): a new snapshot.
    this.client.resubscribe(this.channel);
  }
}
