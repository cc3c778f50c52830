// One client connection: its identity, subscriptions, inbound limits, the
// queue that runs its requests one at a time, and its writer (the one place
// that writes to its socket, connection-writer.ts).
//
// It owns its lifecycle, `open -> closing -> closed`:
//   open:    frames and answers are written; subscriptions may be added.
//   closing: the server asked the socket to close (a close code is chosen);
//            nothing more is written, nothing more is subscribed.
//   closed:  the socket is gone, whoever closed it (the client's close, a
//            drop, the server's close completing). A request still in flight
//            (a multi-entry subscribe waiting on the broker) finds it closed
//            and stops: no subscription is added to a dead connection.
import type { Socket } from 'node:net';
import { CloseCode, closeCodeName, spendsAbuseBudget, type ErrorCode, TokenReason } from '@odin-gateway/client/codes';
import type { RequestId, ServerMessage } from '@odin-gateway/client/protocol';
import type { ClientTransport } from './client-transport.js';
import { ConnectionWriter, type FlushPass } from './connection-writer.js';
import type { SseEncoder } from './sse/sse-encoder.js';
import type { ConnectionObserver } from './gateway-observer.js';
import { referenceControl, ReferenceSequence } from './reference-protocol.js';
import { SubscriptionList } from './subscription-list.js';
import type { Subscription } from './subscription.js';
import { TokenBucket } from './token-bucket.js';

export interface ConnectionLimits {
  maxQueueBytes: number;
  rateLimitBurst: number;
  rateLimitPerSec: number;
  abuseBurst: number;
  abusePerSec: number;
}

export type ConnectionState = 'open' | 'closing' | 'closed';

export class ClientConnection {
  /** Subscriptions by the pattern or channel the client asked for: added only through `addSubscription`. */
  private readonly subscriptions = new SubscriptionList();
  private lifecycle: ConnectionState = 'open';
  readonly writer: ConnectionWriter;
  /** Negotiated permessage-deflate: receives the shared compressed frames. */
  readonly compress: boolean;
  /** Reference-protocol connections (`/ws?protocol=reference`) number their messages here. */
  readonly reference: ReferenceSequence | undefined;
  /** Set for Server-Sent Events connections (`GET /sse`): their events are encoded per connection, with cursors. */
  readonly sse: SseEncoder | undefined;
  /** True while the connection holds only the configured default channels (until it subscribes itself). */
  private holdsDefaultChannels = false;
  /** Set by any frame (or pong, or SSE probe) from the client; taken by the keepalive sweep when it pings. */
  private heardFrom = true;
  /** When the connection stopped being open (0 = open). */
  private closingAt = 0;
  /** The close code the server chose (the 'close' event only reports the peer's). */
  private chosenCloseCode: number | undefined;
  /** Frames refused over the inbound rate limit. */
  private rateLimitedFrames = 0;
  /** Extra channels or patterns the token's claim grants (docs/identity.md, "Grants"). */
  private grantedPatterns: readonly string[] = [];
  /** When the token runs out (its exp plus the clock tolerance), ms since the epoch; 0 = never. */
  private tokenCloseAt = 0;
  readonly openedAt = Date.now();
  /**
   * Subscribe and unsubscribe requests run one after another, in order: at
   * most one history read and one replay in flight per connection.
   */
  private requests: Promise<void> = Promise.resolve();
  /** The inbound rate limit, a token bucket kept in two fields: no object per connection. */
  private rateTokens: number;
  private rateCheckedAt: number;
  /** The error budget: created on the first error, which most connections never make. */
  private abuse: TokenBucket | undefined;

  constructor(
    readonly id: string,
    /** The WebSocket, or the SSE transport. */
    ws: ClientTransport,
    readonly user: string | null,
    readonly remoteAddress: string,
    private readonly limits: ConnectionLimits,
    private readonly observer: ConnectionObserver,
    /** The socket under `ws`. */
    socket: Socket,
    options: { compress?: boolean; reference?: boolean; sse?: SseEncoder } = {},
  ) {
    this.writer = new ConnectionWriter(ws, socket, limits.maxQueueBytes);
    this.reference = options.reference ? new ReferenceSequence() : undefined;
    this.sse = options.sse;
    this.compress = options.compress === true && !this.reference && !this.sse;
    this.rateTokens = limits.rateLimitBurst;
    this.rateCheckedAt = this.openedAt;
  }

  get state(): ConnectionState {
    return this.lifecycle;
  }

  get isOpen(): boolean {
    return this.lifecycle === 'open';
  }

  /** When the connection stopped being open, ms since the epoch (0 while open). */
  get closingSince(): number {
    return this.closingAt;
  }

  /** The close code the server chose, if it closed the connection (the socket's close event reports the peer's). */
  get serverCloseCode(): number | undefined {
    return this.chosenCloseCode;
  }

  /** The socket library closes the socket itself on a client's protocol error (1002, 1007, 1009): still the server's close. */
  closedForProtocolError(code: number): void {
    this.chosenCloseCode = code;
  }

  /** Extra channels or patterns the token's claim grants. */
  get grants(): readonly string[] {
    return this.grantedPatterns;
  }

  /** When the token runs out (its exp plus the clock tolerance), ms since the epoch; 0 = never. */
  get closeAt(): number {
    return this.tokenCloseAt;
  }

  /** The token's grants and end: on admission, and again on each accepted in-band auth. */
  setCredentials(grants: readonly string[], closeAt: number): void {
    this.grantedPatterns = grants;
    this.tokenCloseAt = closeAt;
  }

  /** Any frame, pong or probe from the client: it is alive. */
  markAlive(): void {
    this.heardFrom = true;
  }

  /** The keepalive sweep's question: heard from since the last sweep? Clears the mark for the next one. */
  takeAliveMark(): boolean {
    const heard = this.heardFrom;
    this.heardFrom = false;
    return heard;
  }

  /** Counts one frame refused over the rate limit; returns how many so far. */
  countRateLimited(): number {
    return ++this.rateLimitedFrames;
  }

  /** True while the connection holds only the configured default channels (until it subscribes itself). */
  get onDefaultChannels(): boolean {
    return this.holdsDefaultChannels;
  }

  /** It now holds the default channels. */
  enterDefaultChannels(): void {
    this.holdsDefaultChannels = true;
  }

  /** It subscribes itself: true when it held the default channels (the caller drops them). */
  leaveDefaultChannels(): boolean {
    const held = this.holdsDefaultChannels;
    this.holdsDefaultChannels = false;
    return held;
  }

  /**
   * Adds a subscription: the only way one is added. Refused (false) once the
   * connection is closing or closed, so a request in flight cannot leave a
   * subscription behind on a dead connection.
   */
  addSubscription(sub: Subscription): boolean {
    if (this.lifecycle !== 'open') return false;
    this.subscriptions.set(sub);
    return true;
  }

  /** Forgets `sub` if it is still this connection's subscription for its pattern. */
  removeSubscription(sub: Subscription): void {
    if (this.subscriptions.get(sub.pattern) === sub) this.subscriptions.delete(sub.pattern);
  }

  subscription(pattern: string): Subscription | undefined {
    return this.subscriptions.get(pattern);
  }

  get subscriptionCount(): number {
    return this.subscriptions.size;
  }

  /** A snapshot of the subscriptions (safe to end them while iterating). */
  subscriptionList(): Subscription[] {
    return [...this.subscriptions.values()];
  }

  /** Resolves once every request queued so far has run (or been skipped because the connection closed). */
  settled(): Promise<void> {
    return this.requests;
  }

  /** Bytes the server holds for this client (unsent socket bytes plus held messages). */
  get queuedBytes(): number {
    return this.writer.queuedBytes;
  }

  /**
   * Writes a ready-made frame. When the bytes already held pass the budget,
   * the client is closed as slow (4000): it will resume from its last
   * position, so nothing is lost, and its memory on the server stays bounded
   * by the budget plus one frame.
   */
  writeFrame(frame: Buffer, pass?: FlushPass): boolean {
    if (this.lifecycle !== 'open') return false;
    // Exact expiry: not one frame after exp, even before the expiry timer fires
    // (only connections with an expiring token pay for the clock read).
    if (this.closeAt !== 0 && Date.now() >= this.closeAt) {
      this.expire();
      return false;
    }
    if (this.writer.writeFrame(frame, pass)) return true;
    this.closeSlow();
    return false;
  }

  /** Closes the client as slow (4000), counted once. */
  closeSlow(): void {
    if (this.lifecycle !== 'open') return;
    this.observer.slowClient(this);
    this.close(CloseCode.SLOW_CLIENT);
  }

  /** Sends a control message in a frame of its own. */
  send(message: ServerMessage): void {
    if (this.lifecycle !== 'open') return;
    if (this.reference) {
      const shaped = referenceControl(message);
      if (shaped !== undefined) this.writer.sendText(JSON.stringify(shaped));
      return;
    }
    this.writer.sendText(JSON.stringify(message));
  }

  /** Runs `task` after every request queued before it; a failure closes the connection (1011). */
  enqueueRequest(task: () => Promise<void> | void, onError: (err: unknown) => void): void {
    this.requests = this.requests.then(async () => {
      if (this.lifecycle !== 'open') return;
      try {
        await task();
      } catch (err) {
        onError(err);
        this.close(CloseCode.INTERNAL_ERROR);
      }
    });
  }

  /** Answers an error, counted; a client fault (codes.ts, `errorFault`) also spends the abuse budget. */
  sendError(code: ErrorCode, message: string, id?: RequestId, channel?: string, reason?: TokenReason): void {
    this.observer.clientError(this, code);
    this.send({ type: 'error', code, message, ...(id !== undefined ? { id } : {}), ...(channel !== undefined ? { channel } : {}), ...(reason !== undefined ? { reason } : {}) });
    if (!spendsAbuseBudget(code)) return;
    this.abuse ??= new TokenBucket(this.limits.abuseBurst, this.limits.abusePerSec);
    if (!this.abuse.take() && this.isOpen) {
      this.observer.abusive(this);
      this.close(CloseCode.POLICY_VIOLATION, 'ABUSE');
    }
  }

  /**
   * Inbound rate limit, in units of work: a frame costs one, a subscribe or
   * unsubscribe one per entry. A request larger than the whole burst is
   * refused outright (the parser already caps entries at 100).
   */
  allowWork(units: number, now = Date.now()): boolean {
    const elapsed = now - this.rateCheckedAt;
    if (elapsed > 0) {
      this.rateTokens = Math.min(this.limits.rateLimitBurst, this.rateTokens + (elapsed * this.limits.rateLimitPerSec) / 1000);
      this.rateCheckedAt = now;
    }
    if (this.rateTokens < units) return false;
    this.rateTokens -= units;
    return true;
  }

  /** Its token ran out: closed with 4003, reason TOKEN_EXPIRED (reported once). */
  expire(): void {
    if (this.lifecycle !== 'open') return;
    this.observer.tokenExpired(this);
    this.close(CloseCode.UNAUTHORIZED, TokenReason.TOKEN_EXPIRED);
  }

  close(code: number, reason: string = closeCodeName(code)): void {
    if (this.lifecycle !== 'open') return;
    this.lifecycle = 'closing';
    this.closingAt = Date.now();
    this.chosenCloseCode = code;
    this.writer.close(code, reason);
  }

  /** Drops the socket without a closing handshake. */
  terminate(): void {
    this.markClosed();
    this.writer.terminate();
  }

  /** The socket closed (either side) or was dropped: nothing more is written or subscribed. */
  markClosed(): void {
    if (this.lifecycle === 'closed') return;
    if (this.closingAt === 0) this.closingAt = Date.now();
    this.lifecycle = 'closed';
  }
}
