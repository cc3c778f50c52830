// What the endpoints need from the gateway, and nothing more.
import type { Broker } from '../broker/broker.js';
import type { Logger } from '../observability/logger.js';
import type { PublishLimits } from './api-validation.js';

export interface BookAt {
  /** The snapshot message, undefined while the channel has no book. */
  message: { seq: number; payload: string } | undefined;
  seq: number;
  epoch: string;
}

export interface ApiContext extends PublishLimits {
  broker: Broker;
  logger: Logger;
  instanceId: string;
  maxBodyBytes: number;
  /** Subscriptions on this instance receiving `channel`. */
  subscriberCount(channel: string): number;
  /** Closes this instance's connections of `user`; returns how many. */
  disconnectLocal(user: string): number;
  /** The book of a book channel at this instance's newest position (docs/books.md). */
  book(channel: string, depth: number): Promise<BookAt>;
  /** Counts messages stored through the API. */
  countPublished(n: number): void;
}

/** A JSON answer: status and body text. */
export interface ApiAnswer {
  status: number;
  body: string;
}

export function ok(value: unknown, status = 200): ApiAnswer {
  return { status, body: JSON.stringify(value) };
}
