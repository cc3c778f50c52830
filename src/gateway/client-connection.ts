// One client connection: its identity, subscriptions, inbound limits and the
// byte-bounded write path. The hub writes shared frames through `writeFrame`.
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { CloseCode, closeCodeName, ErrorCode } from '../protocol/codes.js';
import type { RequestId, ServerMessage } from '../protocol/messages.js';
import { SubscriptionList } from './subscription-list.js';
import { TokenBucket } from './token-bucket.js';

export interface ConnectionLimits {
  maxQueueBytes: number;
  rateLimitBurst: number;
  rateLimitPerSec: number;
  abuseBurst: number;
  abusePerSec: number;
}

/** What a connection needs from the gateway around it. */
export interface ConnectionHost {
  onSlowClient(conn: ClientConnection): void;
  onClientError(conn: ClientConnection, code: ErrorCode): void;
  onAbuse(conn: ClientConnection): void;
}

export class ClientConnection {
  /** Subscriptions by the pattern or channel the client asked for. */
  readonly subscriptions = new SubscriptionList();
  /** True when two of its subscriptions can match the same channel: delivery then de-duplicates (slow path). */
  overlapping = false;
  /** Set by any frame from the client; cleared by the keepalive sweep when it pings. */
  alive = true;
  /** When the server started closing this connection (0 = open). */
  closingSince = 0;
  /** The close code the server chose (the 'close' event only reports the peer's). */
  serverCloseCode: number | undefined;
  rateLimitedCount = 0;
  readonly openedAt = Date.now();
  private readonly socket: Socket;
  /** The inbound rate limit, a token bucket kept in two fields: no object per connection. */
  private rateTokens: number;
  private rateCheckedAt: number;
  /** The error budget: created on the first error, which most connections never make. */
  private abuse: TokenBucket | undefined;

  constructor(
    readonly id: string,
    readonly ws: WebSocket,
    readonly user: string | null,
    readonly remoteAddress: string,
    private readonly limits: ConnectionLimits,
    private readonly host: ConnectionHost,
  ) {
    // ws keeps the net.Socket private; we write shared frames to it directly
    // (no deflate, so ws's sender never holds frames back and order is kept).
    this.socket = (ws as unknown as { _socket: Socket })._socket;
    this.rateTokens = limits.rateLimitBurst;
    this.rateCheckedAt = this.openedAt;
  }

  get isOpen(): boolean {
    return this.closingSince === 0;
  }

  /** Bytes written to the socket but not yet handed to the kernel. */
  get queuedBytes(): number {
    return this.socket.writableLength;
  }

  /**
   * Writes a ready-made frame. When the bytes already queued pass the bound,
   * the client is closed as slow (4000): it will resume from its last
   * position, so nothing is lost, and its memory on the server stays bounded
   * by the limit plus one frame. (Checking before the write lets a single
   * large batch through to a client that keeps up.)
   */
  writeFrame(frame: Buffer): boolean {
    if (this.closingSince !== 0) return false;
    if (this.socket.writableLength > this.limits.maxQueueBytes) {
      this.host.onSlowClient(this);
      this.close(CloseCode.SLOW_CLIENT);
      return false;
    }
    this.socket.write(frame);
    return true;
  }

  /** Sends a control message in a frame of its own. */
  send(message: ServerMessage): void {
    if (this.closingSince !== 0) return;
    this.ws.send(JSON.stringify(message));
  }

  sendError(code: ErrorCode, message: string, id?: RequestId, channel?: string): void {
    this.host.onClientError(this, code);
    this.send({ type: 'error', code, message, ...(id !== undefined ? { id } : {}), ...(channel !== undefined ? { channel } : {}) });
    this.abuse ??= new TokenBucket(this.limits.abuseBurst, this.limits.abusePerSec);
    if (!this.abuse.take()) this.host.onAbuse(this);
  }

  /** Inbound rate limit: one token per client message. */
  allowMessage(now = Date.now()): boolean {
    const elapsed = now - this.rateCheckedAt;
    if (elapsed > 0) {
      this.rateTokens = Math.min(this.limits.rateLimitBurst, this.rateTokens + (elapsed * this.limits.rateLimitPerSec) / 1000);
      this.rateCheckedAt = now;
    }
    if (this.rateTokens < 1) return false;
    this.rateTokens -= 1;
    return true;
  }

  close(code: number, reason: string = closeCodeName(code)): void {
    if (this.closingSince !== 0) return;
    this.closingSince = Date.now();
    this.serverCloseCode = code;
    this.ws.close(code, reason);
  }

  terminate(): void {
    if (this.closingSince === 0) this.closingSince = Date.now();
    this.ws.terminate();
  }
}
