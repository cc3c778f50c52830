// What the publisher is asked to do, and the changes `POST /control` may make.
import type { SimulationConfig } from '../config/publisher-options.js';

export interface PublisherSettings {
  /** Price updates per second over all tokens. */
  messagesPerSecond: number;
  tokens: string[];
  /** Seconds to publish after start (or after a configure that sets it); 0 = no limit. */
  duration: number;
  statisticsIntervalMs: number;
  /** Order-book messages (book.<TOKEN>) per second over all tokens; 0 or absent = none. */
  bookMessagesPerSecond?: number;
  /** Simulated user trades per second over all demo users; 0 = none. */
  tradeEventsPerSecond: number;
  users: string[];
  /** Unacknowledged publishes allowed before the publisher waits for acks. */
  maxInFlight: number;
  /** Times a failed publish is sent again with its message id; absent = the option's default. */
  maxRetries?: number;
  /** No retry starts later than this after the first attempt, ms; absent = the option's default. */
  retryWindowMs?: number;
}

/** The fields a `start` or `configure` request may change. */
export type SettingsChange = Partial<Pick<PublisherSettings, 'messagesPerSecond' | 'tokens' | 'duration' | 'statisticsIntervalMs' | 'tradeEventsPerSecond' | 'bookMessagesPerSecond' | 'users'>>;

export function settingsFrom(config: SimulationConfig): PublisherSettings {
  return {
    messagesPerSecond: config.rate,
    tokens: [...config.tokens],
    duration: config.duration,
    statisticsIntervalMs: config.statisticsIntervalMs,
    tradeEventsPerSecond: config.tradeRate,
    bookMessagesPerSecond: config.bookRate,
    users: [...config.users],
    maxInFlight: config.maxInFlight,
    maxRetries: config.publishRetries,
    retryWindowMs: config.publishRetryMs,
  };
}
