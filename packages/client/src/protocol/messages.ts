// The shapes of protocol v1 (docs/protocol.md). Shared by the gateway, the
// client SDK, the load tools and the benchmark.
import type { ErrorCode, TokenReason } from './codes.js';

export interface Position {
  seq: number;
  epoch: string;
}

export type RequestId = number | string;

// ---- client -> server ----
export interface SubscribeEntry {
  channel: string;
  since?: Position;
  latest?: boolean;
  /** At most one message per channel per this many ms (100..60000, rounded up to a bucket): docs/protocol.md, "Conflation". */
  conflate?: number;
  /** Book channels: levels per side in the snapshot (10, 25, 100 or 1000, the default: all). */
  depth?: number;
}
export interface SubscribeRequest {
  type: 'subscribe';
  id?: RequestId;
  channels: Array<string | SubscribeEntry>;
}
export interface UnsubscribeRequest {
  type: 'unsubscribe';
  id?: RequestId;
  channels: string[];
}
export interface PingRequest {
  type: 'ping' | 'heartbeat';
  id?: RequestId;
}
/** Replaces the connection's token (same `sub`) without reconnecting: see "Tokens" in docs/protocol.md. */
export interface AuthRequest {
  type: 'auth';
  id?: RequestId;
  token: string;
}
export type ClientMessage = SubscribeRequest | UnsubscribeRequest | PingRequest | AuthRequest;

// ---- server -> client ----
export interface WelcomeMessage {
  type: 'welcome';
  v: number;
  session: string;
  user: string | null;
  ping_interval_ms: number;
  max_frame_bytes: number;
  /** When the connection's token expires (Unix seconds), null when it never does: refresh with `auth` before. */
  exp: number | null;
}
export interface DataMessage<T = unknown> {
  type: 'message';
  channel: string;
  seq: number;
  prev: number;
  epoch: string;
  ts: number;
  event: string;
  /** On a conflated subscription: how many messages of this channel before this one were not sent (it stands for them). */
  skipped?: number;
  data: T;
}
/** Sent before the messages of a resume (a subscribe entry with `since`): says what they are. */
export interface ReplayingMessage {
  type: 'replaying';
  id?: RequestId;
  channel: string;
  /** true: the messages up to `subscribed` are exactly those after `since`; false: they are latest values. */
  recovered: boolean;
}
export interface SubscribedMessage {
  type: 'subscribed';
  id?: RequestId;
  channel: string;
  recovered?: boolean;
  replayed: number;
  position: Position;
  /** The interval (ms) the subscription is conflated at, when it is. */
  conflate?: number;
}
/** The slow-client policy `conflate` switched a subscription to conflation: from now on at most one message per channel per `conflate` ms. */
export interface ConflatingMessage {
  type: 'conflating';
  channel: string;
  conflate: number;
}
export interface UnsubscribedMessage {
  type: 'unsubscribed';
  id?: RequestId;
  channels: string[];
}
/** The answer to `auth`: the new token is in force; `exp` as in `welcome`. */
export interface AuthenticatedMessage {
  type: 'authenticated';
  id?: RequestId;
  user: string;
  exp: number | null;
}
export interface PongMessage {
  type: 'pong';
  id?: RequestId;
  ts: number;
}
export interface ErrorMessage {
  type: 'error';
  id?: RequestId;
  code: ErrorCode;
  message: string;
  channel?: string;
  /** With `INVALID_TOKEN`: why the token was refused. */
  reason?: TokenReason;
}
export type ServerMessage = WelcomeMessage | DataMessage | ReplayingMessage | SubscribedMessage | ConflatingMessage | UnsubscribedMessage | PongMessage | AuthenticatedMessage | ErrorMessage;

/** Splits one text frame into the messages it carries (see "Batches" in docs/protocol.md). */
export function parseServerFrame(text: string): ServerMessage[] {
  if (text.indexOf('\n') < 0) return [JSON.parse(text) as ServerMessage];
  return text.split('\n').map((line) => JSON.parse(line) as ServerMessage);
}
