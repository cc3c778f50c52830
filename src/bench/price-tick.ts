// The message every system carries in the benchmark: a ~200-byte price tick
// of the reference's shape, plus `n` (a per-channel counter, so that loss is
// visible for systems without positions) and `timestamp` (publish time in ms
// with sub-millisecond precision, for publish-to-receive latency).
import type { PriceUpdate } from '@odin-gateway/client';
import { preciseNowMs } from '../load/latency-recorder.js';

/** The simulator's price update plus the benchmark's per-channel counter. */
export type PriceTick = PriceUpdate & { n: number };

/** Channel names shared by every system: token.T0.price, token.T1.price, ... */
export function benchChannels(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `token.T${i}.price`);
}

/** The order-book channels of the books scenario: book.T0, book.T1, ... (docs/books.md). */
export function benchBookChannels(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `book.T${i}`);
}

/** `at`: the publish time to stamp (ms since the epoch, sub-millisecond), default now. */
export function priceTick(tokenId: string, n: number, at = preciseNowMs()): PriceTick {
  const price = 43250 + (n % 1000) * 0.37;
  return {
    type: 'price:update',
    tokenId,
    n,
    price,
    volume24h: 1283475102.55,
    marketCap: 846372910456.12,
    priceChange24h: -1.8421,
    timestamp: at,
    source: 'odin-bench',
    nonce: `b${n.toString(36).padStart(8, '0')}`,
  };
}

const TIMESTAMP_KEY = '"timestamp":';
const N_KEY = '"n":';

function numberAt(text: string, start: number): number {
  let end = start;
  while (end < text.length) {
    const c = text.charCodeAt(end);
    if ((c < 48 || c > 57) && c !== 46) break;
    end++;
  }
  return Number(text.slice(start, end));
}

/**
 * Calls `each(n, timestampMs)` for every tick in `text` (one message or a
 * batch, in any system's framing), reading only those two fields.
 */
export function forEachTick(text: string, each: (n: number, tokenId: string, timestampMs: number) => void): void {
  let from = 0;
  for (;;) {
    const tokenAt = text.indexOf('"tokenId":"', from);
    if (tokenAt < 0) return;
    const tokenStart = tokenAt + 11;
    const tokenEnd = text.indexOf('"', tokenStart);
    const nAt = text.indexOf(N_KEY, tokenEnd);
    const tsAt = text.indexOf(TIMESTAMP_KEY, nAt);
    if (nAt < 0 || tsAt < 0) return;
    each(numberAt(text, nAt + N_KEY.length), text.slice(tokenStart, tokenEnd), numberAt(text, tsAt + TIMESTAMP_KEY.length));
    from = tsAt;
  }
}
