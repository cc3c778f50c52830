// The simulated order books: one BookModel per token on `book.<TOKEN>`,
// its mid following that token's price walk (market-model.ts). Book messages
// go round-robin over the tokens; the first message of a token is a
// snapshot. Answers the gateways' `book-snapshot` control requests
// (docs/books.md) for the tokens it simulates.
import type { BookData } from '../books/book-message.js';
import { BOOK_SNAPSHOT_TOPIC } from '../books/book-store.js';
import { BookModel } from './book-model.js';
import type { MarketModel } from './market-model.js';

export interface BookMessageOut {
  channel: string;
  data: BookData;
}

export function bookChannel(tokenId: string): string {
  return `book.${tokenId}`;
}

export class BookSimulator {
  private readonly books = new Map<string, BookModel>();
  private next_ = 0;

  constructor(
    private readonly market: MarketModel,
    private readonly random: () => number = Math.random,
  ) {}

  /** The next book message, for the next token in turn; undefined when there are no tokens. */
  next(tokens: readonly string[]): BookMessageOut | undefined {
    if (tokens.length === 0) return undefined;
    const tokenId = tokens[this.next_++ % tokens.length]!;
    return { channel: bookChannel(tokenId), data: this.model(tokenId).step(this.priceOf(tokenId)) };
  }

  /**
   * A snapshot for a `book-snapshot` control message naming a book this
   * simulator publishes; undefined for any other topic, body or channel (a
   * book it has not started yet starts with a snapshot anyway).
   */
  snapshotRequested(topic: string, body: unknown): BookMessageOut | undefined {
    if (topic !== BOOK_SNAPSHOT_TOPIC || typeof body !== 'object' || body === null) return undefined;
    const channel = (body as { channel?: unknown }).channel;
    if (typeof channel !== 'string' || !channel.startsWith('book.')) return undefined;
    const tokenId = channel.slice('book.'.length);
    const model = this.books.get(tokenId);
    if (!model) return undefined;
    return { channel, data: model.snapshot(this.priceOf(tokenId)) };
  }

  private model(tokenId: string): BookModel {
    let m = this.books.get(tokenId);
    if (!m) {
      m = new BookModel(this.priceOf(tokenId), this.random);
      this.books.set(tokenId, m);
    }
    return m;
  }

  private priceOf(tokenId: string): number {
    return (this.market.tokens.get(tokenId) ?? this.market.addToken(tokenId)).price;
  }
}
