// The broker interface: where messages come from and where history lives.
// Two implementations: `memory` (embedded, one process) and `nats` (NATS core
// for live fan-out, JetStream for history; many gateways share it).
//
// Contract every implementation keeps (the gateway relies on it):
// - `seq` comes from one counter for the whole broker (the stream sequence on
//   NATS): it strictly increases per channel and orders wildcard subscriptions.
// - `prev` is the seq of the previous message on the same channel (0 if none known).
// - Live messages reach `onMessage` handlers in seq order, each exactly once,
//   also across a broker reconnect (the broker fills what it missed first).
// - `payload` is valid JSON text, so it can be spliced into a frame unparsed.
import type { Position } from '@odin-gateway/client/protocol';

export type { Position };

export interface BrokerMessage {
  /** Concrete channel (a NATS subject without `odin.`). */
  channel: string;
  seq: number;
  prev: number;
  epoch: string;
  /** When the broker accepted the message, ms since the Unix epoch. */
  ts: number;
  /** The payload's top-level `type`, or "message". */
  event: string;
  /** Valid JSON text of the payload. */
  payload: string;
  /**
   * Set on a live message when messages just before it were removed from
   * history before this instance could take them in (its live consumer fell
   * behind by more than the history): subscribers may have lost messages
   * that no prev link shows, so the gateway makes them resume (and learn
   * recovered:false).
   */
  afterLoss?: true;
  /** Filled by the gateway: the encoded data message, so that it is encoded once. */
  encoded?: string;
  /** Filled by the gateway for reference-protocol clients: the message after its per-connection seq. */
  referenceTail?: string;
}

/**
 * Where a paged history read goes on from: a page's `next`, passed back to
 * `historyPage` for the following page. Only the broker that made it reads
 * its `carry`.
 */
export interface HistoryCursor {
  readonly pattern: string;
  /** Every matching message up to this seq has been returned by earlier pages. */
  readonly after: number;
  /** The read's end, fixed by its first page: later messages reach live subscribers instead. */
  readonly upTo: number;
  /** The read's position (fixed by its first page), answered by every page. */
  readonly position: Position;
  /** Broker-private state carried from page to page (bounded). */
  readonly carry?: unknown;
}

export interface HistoryPageOptions {
  /**
   * A page stops once its messages reach this many bytes (messageBytes): it
   * holds at most maxBytes plus one message, and at least one message while
   * any is left.
   */
  maxBytes: number;
  /** A page holds at most this many messages. */
  maxMessages?: number;
}

/** One page of a history read (the broker contract: every history read is paged). */
export interface HistoryPage {
  /**
   * True when every message matching the pattern with seq > the start
   * (since.seq, or the cursor's `after`) up to the read's end is in this page
   * and the pages after it. False: some are gone (history limits, another
   * epoch), and `messages` is empty; on a later page, history was removed
   * while the read went on (the reader was slower than retention).
   */
  recovered: boolean;
  /** Matching messages, oldest first, bounded by the page options. */
  messages: BrokerMessage[];
  /** The cursor for the next page; undefined when `complete`. */
  next: HistoryCursor | undefined;
  /** True when no page follows. */
  complete: boolean;
  /** The newest position among matching channels when the read's first page was made. */
  position: Position;
}

/** What a message weighs in a page: its payload and channel, plus a fixed frame overhead. */
export function messageBytes(message: BrokerMessage): number {
  return message.payload.length + message.channel.length + MESSAGE_OVERHEAD_BYTES;
}

/** The data message's fields other than payload and channel, as encoded (seq, prev, epoch, ts, event). */
export const MESSAGE_OVERHEAD_BYTES = 96;

export function isHistoryCursor(from: Position | HistoryCursor): from is HistoryCursor {
  return 'upTo' in from;
}

export interface LatestResult {
  /** The latest message of each matching channel, oldest first. */
  messages: BrokerMessage[];
  position: Position;
}

export interface PublishOptions {
  /** De-duplication id: a retried publish with the same id is stored once. */
  msgId?: string;
}

export type BrokerStatus = 'connected' | 'disconnected' | 'closed';

/** The live path's state, for metrics and /health. */
export interface BrokerStats {
  /** Messages in the stream the live consumer has not delivered yet (always 0 for the memory broker). */
  lagMessages: number;
  /** The live consumer fell behind and did not catch up within the lag window: unhealthy. */
  behind: boolean;
  /** Channels whose history or latest value is tracked (bounded by --max-channels). */
  channels: number;
  /** Idle channels forgotten so far to stay within the bound. */
  channelsEvicted: number;
}

export interface Broker {
  /** `api`: a publish-only client of a gateway's server API (the simulator's --via-api). */
  readonly kind: 'memory' | 'nats' | 'api';
  start(): Promise<void>;
  close(): Promise<void>;
  /** Publishes `payload` (an object, serialised as JSON) on `channel`; resolves once stored. */
  publish(channel: string, payload: unknown, options?: PublishOptions): Promise<Position>;
  /** Registers the consumer of every live message (all channels). */
  onMessage(handler: (message: BrokerMessage) => void): void;
  /** Registers a listener for connection status changes. */
  onStatus(handler: (status: BrokerStatus) => void): void;
  /**
   * One page of the messages after `from` on `pattern` (a channel or
   * wildcard pattern): `from` is the resume position for the first page,
   * then the previous page's `next`. The read ends at the position of its
   * first page; a reader that wants everything after that subscribes live
   * first (the gateway does). See history-pager.ts for reading every page.
   */
  historyPage(pattern: string, from: Position | HistoryCursor, options: HistoryPageOptions): Promise<HistoryPage>;
  /** The latest message of each channel matching `pattern`. */
  latest(pattern: string): Promise<LatestResult>;
  /** The current epoch (history identity). */
  epoch(): string;
  status(): BrokerStatus;
  /**
   * While start() has not finished: why (e.g. the last transient JetStream
   * error it retries with backoff); undefined once started. A gateway listens
   * before its broker starts, and /readyz shows this (broker_starting).
   * Brokers that start at once need not have it.
   */
  starting?(): string | undefined;
  /** The history this process keeps in memory and its byte bound (the memory broker); /readyz reports pressure from it. */
  historyMemory?(): { bytes: number; maxBytes: number } | undefined;
  stats(): BrokerStats;
  /**
   * Broadcasts a control message to every gateway sharing this broker (the
   * sender included), outside the stream: not retained, not replayed, at most
   * once. Over NATS: core subject `odin-control.<stream>.<topic>`.
   */
  publishControl(topic: string, body: unknown): Promise<void>;
  /** Registers the consumer of control messages. */
  onControl(handler: (topic: string, body: unknown) => void): void;
}
