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

export interface HistoryResult {
  /** True when every message matching the pattern with seq > since.seq is in `messages`. */
  recovered: boolean;
  /** Matching messages with seq > since.seq, oldest first (empty when not recovered). */
  messages: BrokerMessage[];
  /** The newest position among matching channels when the read was made. */
  position: Position;
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
  /** Messages after `since` on `pattern` (a channel or wildcard pattern). */
  history(pattern: string, since: Position): Promise<HistoryResult>;
  /** The latest message of each channel matching `pattern`. */
  latest(pattern: string): Promise<LatestResult>;
  /** The current epoch (history identity). */
  epoch(): string;
  status(): BrokerStatus;
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
