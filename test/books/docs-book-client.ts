// The client printed in docs/books.md, loaded from the document itself (the
// ```js block that defines followBook), so the tests run exactly what a
// reader copies.
import { readFileSync, writeFileSync } from 'node:fs';
import type WebSocket from 'ws';
import type { Broker } from '../../src/broker/broker.js';
import { BookModel } from '../../src/publisher/book-model.js';

export interface DocsBookState {
  book: { bids: Map<string, string>; asks: Map<string, string> } | null;
  seq: number;
  epoch: string | null;
  verified: number;
  mismatches: number;
  gaps: number;
  ws: WebSocket;
  stopped: boolean;
}

interface DocsClientModule {
  followBook(urls: string[], channel: string, depth?: number): DocsBookState;
  checksum(book: { bids: Map<string, string>; asks: Map<string, string> }): number;
}

const root = new URL('../../../', import.meta.url);

/** The docs' client as a module (written beside the compiled tests, where `ws` resolves). */
export async function loadDocsClient(): Promise<DocsClientModule> {
  const doc = readFileSync(new URL('docs/books.md', root), 'utf8');
  const block = [...doc.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!).find((code) => code.includes('export function followBook'));
  if (!block) throw new Error('docs/books.md has no ```js block defining followBook');
  const lines = block.trimEnd().split('\n').length;
  if (lines > 50) throw new Error(`the docs client is ${lines} lines; the document promises about 40`);
  const file = new URL('docs-book-client.generated.mjs', import.meta.url);
  writeFileSync(file, block);
  return (await import(file.href)) as DocsClientModule;
}

export function stopDocsClient(s: DocsBookState): void {
  s.stopped = true;
  s.ws.close();
}

/** Publishes a simulated book on `channel` (a snapshot first, then steps of a price walk). */
export class TestBookPublisher {
  readonly model: BookModel;
  private price: number;
  published = 0;
  /** Seq of the last message published. */
  lastSeq = 0;
  private seed = 7;

  constructor(
    private readonly broker: Broker,
    readonly channel: string,
    startPrice = 43250,
  ) {
    this.price = startPrice;
    // Seeded: a failing run can be replayed.
    this.model = new BookModel(startPrice, () => {
      this.seed = (this.seed * 1103515245 + 12345) % 2 ** 31;
      return this.seed / 2 ** 31;
    });
  }

  async publish(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      this.price *= 1 + (this.model.book.bids.length === 0 ? 0 : (((this.published * 7919) % 13) - 6) * 2e-5);
      const data = this.published === 0 ? this.model.snapshot(this.price) : this.model.step(this.price);
      this.lastSeq = (await this.broker.publish(this.channel, data)).seq;
      this.published++;
    }
  }
}
