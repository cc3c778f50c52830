// Reading a history through the broker's pager (Broker.historyPage), for
// callers that want pages one at a time (the replay writer, /api/history,
// book snapshots) and, for small reads and tests, all of it at once.
import type { Broker, BrokerMessage, HistoryCursor, HistoryPage, Position } from './broker.js';

/** A page size that keeps a read's memory small and its round trips few. */
export const DEFAULT_PAGE_BYTES = 256 * 1024;

/**
 * Every page of a read, in order; stops after a page that is complete or
 * not recovered. Each page is asked for only once the caller took the one before.
 */
export async function* historyPages(broker: Broker, pattern: string, since: Position, maxBytes = DEFAULT_PAGE_BYTES): AsyncGenerator<HistoryPage> {
  let from: Position | HistoryCursor = since;
  for (;;) {
    const page = await broker.historyPage(pattern, from, { maxBytes });
    yield page;
    if (!page.recovered || page.complete || !page.next) return;
    from = page.next;
  }
}

export interface WholeHistory {
  /** True when every matching message after `since` up to `position` is in `messages`. */
  recovered: boolean;
  messages: BrokerMessage[];
  position: Position;
}

/**
 * The whole read in memory: for small reads and tests only (its size is the
 * backlog's). The gateway never calls this; it writes page after page.
 */
export async function readWholeHistory(broker: Broker, pattern: string, since: Position): Promise<WholeHistory> {
  const messages: BrokerMessage[] = [];
  let position = since;
  for await (const page of historyPages(broker, pattern, since)) {
    position = page.position;
    if (!page.recovered) return { recovered: false, messages: [], position };
    for (const m of page.messages) messages.push(m);
  }
  return { recovered: true, messages, position };
}
