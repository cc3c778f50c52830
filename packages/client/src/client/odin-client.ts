// OdinClient: the typed client of protocol v1 (docs/protocol.md) for browsers
// and Node 20+. It reconnects with backoff, resumes every subscription from the
// last position it delivered, checks continuity per channel, and reports what
// an app must know: state changes, `recovered:false` (resync), gaps (never
// expected), server errors. docs/client.md is the guide.
//
// At run time it imports only src/client/ and src/protocol/ (codes, channel
// matching, continuity, the frame parser), so the compiled files load in a
// browser as plain ES modules from the gateway's /sdk/ and /protocol/. In Node
// it is the package's main entry (package.json "exports").
import { isTokenReason, TokenReason } from '../protocol/codes.js';
import { parseServerFrame } from '../protocol/messages.js';
import type { AuthenticatedMessage, ConflatingMessage, DataMessage, ErrorMessage, PongMessage, Position, ReplayingMessage, ServerMessage, SubscribedMessage, SubscribeEntry, UnsubscribedMessage, WelcomeMessage } from '../protocol/messages.js';
import { channelMatches } from '../protocol/channels.js';
import { BookView, type BookOptions } from './book-view.js';
import { CLIENT_DROP_CODE, CloseCode } from './close-codes.js';
import { ClientSubscription, type MessageHandler, type SubscribeResult } from './client-subscription.js';
import { ContinuityTracker } from './continuity-tracker.js';
import { verdictOf } from '../protocol/continuity.js';
import { ClientClosedError, HandlerError, NoWebSocketError, OdinClientError, ServerError, UnauthorizedError } from './errors.js';
import { DEFAULT_HEARTBEAT, Heartbeat, type HeartbeatOptions } from './heartbeat.js';
import type { PayloadOf } from './market-payloads.js';
import { adviseReconnect, DEFAULT_RECONNECT, type ReconnectOptions } from './reconnect-policy.js';
import { TypedEmitter } from './typed-emitter.js';
import { sseCursor, SseSocket, sseUrlFor, type FetchLike } from './sse-socket.js';

export type { DataMessage, Position, SubscribeResult, MessageHandler };
export type { PriceUpdate, MarketStatistics, TradeEvent, PayloadOf } from './market-payloads.js';
export { OdinClientError, UnauthorizedError, ServerError, NoWebSocketError, ClientClosedError, HandlerError };
export { CloseCode, TokenReason };
export { BookView };
export type { BookOptions, BookViewStats, BookViewEvents, BookMismatch } from './book-view.js';
export type { BookLevel, BookMessageData } from '../protocol/book.js';

/** What the client needs of a WebSocket: the browser's, or the class exported by 'ws' in Node. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}
export type WebSocketConstructor = new (url: string) => unknown;

export interface OdinClientOptions {
  /** e.g. `ws://localhost:3004/ws`. */
  url: string;
  /** A JWT, or a function returning a fresh one (called before every connection; lets 4003 be retried). */
  token?: string | (() => string | Promise<string>);
  /**
   * Returns a fresh JWT: called before every connection and, while connected,
   * before the current token expires, to refresh it in-band (`auth`) with no
   * reconnect and no gap. Takes precedence over `token`.
   */
  getToken?: () => string | Promise<string>;
  /** Refresh this long before the token's exp (at most half its remaining life), ms. Default 60,000. */
  refreshBeforeExpiryMs?: number;
  /** The WebSocket class. Default: the global one (browsers, Node 22+); in Node 20 pass `WebSocket` from 'ws'. */
  WebSocket?: WebSocketConstructor;
  /** Backoff and per-close-code delays. */
  reconnect?: Partial<ReconnectOptions>;
  /** false: never reconnect on its own. Default true. */
  autoReconnect?: boolean;
  heartbeat?: Partial<HeartbeatOptions>;
  /** Give up a connection attempt without a `welcome` after this long, ms. Default 10,000. */
  connectTimeoutMs?: number;
  /** A connection that lasted this long resets the backoff, ms. Default 5,000. */
  stableAfterMs?: number;
  /** Randomness for jitter (tests make it deterministic). */
  random?: () => number;
  /**
   * The transports to try, in order. Default `['websocket']`. With
   * `['websocket', 'sse']`, a WebSocket that cannot connect (it fails before
   * the server's `welcome`: a proxy refusing the upgrade, no WebSocket in the
   * runtime) is replaced by a Server-Sent Events stream (docs/sse.md) for the
   * rest of the client's life, with the same API and positions.
   */
  transports?: ReadonlyArray<Transport>;
  /** The `/sse` URL. Default: derived from `url` (ws -> http, wss -> https, `/ws` -> `/sse`). */
  sseUrl?: string;
  /** The fetch used for SSE. Default: the global one. */
  fetch?: FetchLike;
}

export type Transport = 'websocket' | 'sse';

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface CloseInfo {
  code: number;
  reason: string;
  /** True when the client will reconnect on its own after `delayMs`. */
  willReconnect: boolean;
  delayMs: number;
}

export interface GapInfo {
  channel: string;
  /** The seq the client last had on the channel. */
  expectedPrev: number;
  prev: number;
  seq: number;
  /** 'epoch' when the message belongs to another history without a resync. */
  kind: 'gap' | 'epoch';
}

export interface ResyncInfo {
  /** The subscription (channel or pattern) whose history was lost. */
  channel: string;
}

export interface ClientStats {
  /** Data messages delivered to the app. */
  messages: number;
  /** Messages the server declared skipped on conflated subscriptions (the sum of `skipped`): not sent, not lost. */
  skipped: number;
  /** Messages replayed by successful resumes. */
  recovered: number;
  /** Resumes answered `recovered:false`. */
  resyncs: number;
  /** Connections opened after the first. */
  reconnects: number;
  gaps: number;
  /** Messages received twice (overlapping patterns) and dropped. */
  duplicates: number;
}

export interface OdinClientEvents {
  state: [state: ConnectionState, previous: ConnectionState];
  open: [welcome: WelcomeMessage];
  close: [info: CloseInfo];
  subscribed: [result: SubscribeResult];
  resync: [info: ResyncInfo];
  gap: [info: GapInfo];
  message: [message: DataMessage];
  /** The server accepted a refreshed token; `exp` is its expiry (Unix seconds) or null. */
  authenticated: [exp: number | null];
  /** The server switched a subscription to conflation (a gateway run with `--slow-client conflate` found this client slow). */
  conflating: [info: { channel: string; conflate: number }];
  /** The client moved to another transport (WebSocket could not connect: SSE from now on). */
  transport: [transport: Transport];
  error: [error: OdinClientError];
}

export interface SubscribeOptions {
  /** Deliver the channel's latest message at once (the current price). Default true. Not over SSE: a stream starts with what is published after it. */
  latest?: boolean;
  /** Book channels: levels per side in the snapshot (10, 25, 100 or 1000). Default: the server's (1000). */
  depth?: number;
  /**
   * At most one message per channel per this many ms, the newest (100 to
   * 60,000, rounded up to the server's buckets; docs/protocol.md "Conflation").
   * Skipped messages are declared (`skipped`, counted in `stats.skipped`),
   * not gaps. Not for event channels (`trades.`): refused NOT_CONFLATABLE.
   */
  conflate?: number;
}

export interface Subscription {
  readonly channel: string;
  /** Settles with the first `subscribed` answer, or rejects when the server refuses the channel. */
  readonly ready: Promise<SubscribeResult>;
  /** The position the subscription would resume from. */
  readonly position: Position | undefined;
  unsubscribe(): void;
}

const OPEN = 1;
/** Errors after which the server sends no `subscribed` for the entry. */
const REFUSALS = new Set(['INVALID_CHANNEL', 'UNKNOWN_CHANNEL', 'FORBIDDEN', 'TOO_MANY_SUBSCRIPTIONS', 'OVERLAPPING_SUBSCRIPTION']);
/** The server accepts at most this many entries per subscribe. */
const MAX_ENTRIES = 100;

export class OdinClient extends TypedEmitter<OdinClientEvents> {
  readonly stats: ClientStats = { messages: 0, skipped: 0, recovered: 0, resyncs: 0, reconnects: 0, gaps: 0, duplicates: 0 };
  /** Session id and user of the current connection (from `welcome`). */
  session: string | undefined;
  user: string | null = null;
  private currentState: ConnectionState = 'idle';
  private readonly WebSocketClass: WebSocketConstructor | undefined;
  private readonly reconnectOptions: ReconnectOptions;
  private heartbeat: Heartbeat;
  private readonly transports: ReadonlyArray<Transport>;
  /** Index in `transports` of the one in use. */
  private transportAt = 0;
  /** The current socket delivered `welcome` (a failure before it is a transport failure). */
  private welcomed = false;
  /** SSE without any subscription: a stream needs channels, so it opens with the first subscribe. */
  private awaitingChannels = false;
  private readonly tracker = new ContinuityTracker();
  private readonly subscriptions = new Map<string, ClientSubscription>();
  private ws: WebSocketLike | undefined;
  private attempt = 0;
  private openedAt = 0;
  private everOpened = false;
  private stopped = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private nextId = 1;
  private flushQueued = false;
  private readonly pings = new Map<number, { sentAt: number; resolve(rtt: number): void; reject(e: Error): void }>();
  private readonly openWaiters: Array<{ resolve(): void; reject(e: Error): void }> = [];
  /** Channels unsubscribed on this connection whose `unsubscribed` answer has not come yet (a count per channel). */
  private readonly unsubscribing = new Map<string, number>();

  constructor(private readonly options: OdinClientOptions) {
    super((err) => this.emit('error', err instanceof OdinClientError ? err : new HandlerError('(event listener)', err)));
    const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    this.transports = options.transports && options.transports.length > 0 ? [...options.transports] : ['websocket'];
    if (!Ctor) {
      // No WebSocket in this runtime: SSE from the start when allowed.
      if (!this.transports.includes('sse')) throw new NoWebSocketError();
      this.transportAt = this.transports.indexOf('sse');
    }
    this.WebSocketClass = Ctor;
    this.reconnectOptions = { ...DEFAULT_RECONNECT, ...options.reconnect };
    this.heartbeat = this.makeHeartbeat({ ...DEFAULT_HEARTBEAT, ...options.heartbeat });
  }

  private makeHeartbeat(options: HeartbeatOptions): Heartbeat {
    return new Heartbeat(
      options,
      () => this.sendJson({ type: 'ping', id: `hb-${this.nextId++}` }),
      () => this.drop(CloseCode.KEEPALIVE_TIMEOUT, 'heartbeat timeout: no answer from the server'),
    );
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  /** The transport in use (or to be tried next). */
  get transport(): Transport {
    return this.transports[this.transportAt]!;
  }

  /** Opens the connection; resolves once the server's `welcome` arrived. Reconnects on its own afterwards. */
  connect(): Promise<void> {
    if (this.currentState === 'open') return Promise.resolve();
    const opened = new Promise<void>((resolve, reject) => this.openWaiters.push({ resolve, reject }));
    if (this.currentState === 'idle' || this.currentState === 'closed') {
      this.stopped = false;
      this.attempt = 0;
      void this.openSocket();
    }
    return opened;
  }

  /** Closes for good: no reconnect. Subscriptions are kept, so `connect()` later resumes them. */
  close(): void {
    this.stopped = true;
    this.awaitingChannels = false;
    this.clearTimers();
    const ws = this.ws;
    this.ws = undefined;
    if (ws) {
      detach(ws);
      ws.close(CloseCode.NORMAL, 'client closed');
    }
    this.afterDisconnect();
    this.setState('closed');
    this.rejectOpenWaiters(new ClientClosedError());
  }

  /**
   * Drops the connection now and reconnects after `delayMs`, resuming every
   * subscription: what a network outage does, on purpose (the demo's button,
   * or to switch tokens).
   */
  reconnect(options: { delayMs?: number } = {}): void {
    if (this.stopped) return;
    this.drop(CLIENT_DROP_CODE, 'reconnect requested', options.delayMs ?? 0);
  }

  /**
   * Subscribes `handler` to a channel or pattern. Handlers are typed by the
   * name: `token.*.price` gives PriceUpdate, `market.statistics` gives
   * MarketStatistics, `trades.user.<id>` gives TradeEvent.
   */
  subscribe<C extends string, T = PayloadOf<C>>(channel: C, handler: MessageHandler<T>, options: SubscribeOptions = {}): Subscription {
    const latest = options.latest ?? true;
    let sub = this.subscriptions.get(channel);
    const h = handler as MessageHandler;
    if (!sub) {
      sub = new ClientSubscription(channel, latest, options.depth, options.conflate);
      this.subscriptions.set(channel, sub);
      sub.handlers.add(h);
      if (this.awaitingChannels) {
        this.awaitingChannels = false;
        void this.openSocket();
      } else this.queueFlush();
    } else {
      sub.handlers.add(h);
      // Already live: give the new handler the latest values this client holds.
      if (latest && sub.phase === 'active') this.replayCached(sub, h);
    }
    const owner = sub;
    return {
      channel,
      ready: owner.ready,
      get position() {
        return owner.position;
      },
      unsubscribe: () => this.removeHandler(owner, h),
    };
  }

  /**
   * A verified order book of a book channel (`book.<TOKEN>`, docs/books.md):
   * keeps `depth` levels a side from the snapshot and updates, checks every
   * checksum, and resubscribes by itself for a fresh snapshot after a
   * mismatch or a resume answered `recovered:false` (counted in `stats`).
   * `close()` unsubscribes.
   */
  book(channel: string, options: BookOptions = {}): BookView {
    return new BookView(this, channel, options);
  }

  /**
   * Subscribes `channel` again from scratch, for every handler on it: an
   * unsubscribe, then a subscribe without `since`, so the server starts it
   * afresh (a book channel with a new snapshot). What the server sent before
   * it took the unsubscribe in is dropped. Used by client.book() after a
   * checksum mismatch.
   */
  resubscribe(channel: string): void {
    const sub = this.subscriptions.get(channel);
    if (!sub) return;
    this.release(sub);
    this.tracker.forget((c) => sub.matches(c) && ![...this.subscriptions.values()].some((s) => s !== sub && s.matches(c)));
    sub.position = undefined;
    if (this.ws instanceof SseSocket) {
      // A stream cannot unsubscribe: reopen it, this entry fresh (no position in the cursor), the others resuming.
      sub.phase = 'queued';
      sub.requestId = undefined;
      return this.reopenStream('SSE: resubscribe');
    }
    if (sub.phase !== 'queued' && this.sendJson({ type: 'unsubscribe', id: this.nextId++, channels: [sub.channel] })) {
      this.unsubscribing.set(sub.channel, (this.unsubscribing.get(sub.channel) ?? 0) + 1);
    }
    sub.phase = 'queued';
    sub.requestId = undefined;
    this.queueFlush();
  }

  /** Sends an application ping; resolves with the round trip in ms. */
  ping(timeoutMs = 10_000): Promise<number> {
    const id = this.nextId++;
    return new Promise<number>((resolve, reject) => {
      if (this.ws instanceof SseSocket) return reject(new OdinClientError('NOT_SUPPORTED', 'ping() needs a WebSocket: an SSE stream cannot carry requests'));
      if (!this.sendJson({ type: 'ping', id })) return reject(new OdinClientError('NOT_CONNECTED', 'not connected'));
      const timer = setTimeout(() => {
        this.pings.delete(id);
        reject(new OdinClientError('PING_TIMEOUT', `no pong within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pings.set(id, {
        sentAt: Date.now(),
        resolve: (rtt) => {
          clearTimeout(timer);
          resolve(rtt);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  // ---- connection life cycle ----

  private async openSocket(): Promise<void> {
    this.reconnectTimer = undefined;
    this.welcomed = false;
    this.setState(this.everOpened ? 'reconnecting' : 'connecting');
    let url = this.options.url;
    let token: string | undefined;
    try {
      const source = this.tokenSource();
      token = source ? await source() : (this.options.token as string | undefined);
      if (token) url += `${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
    } catch (err) {
      this.emit('error', new OdinClientError('TOKEN_FAILED', `the token function failed: ${err instanceof Error ? err.message : String(err)}`));
      this.scheduleReconnect(CloseCode.ABNORMAL, 'token function failed');
      return;
    }
    if (this.stopped) return;
    if (this.transport === 'sse' && this.subscriptions.size === 0) {
      this.awaitingChannels = true;
      return;
    }
    let ws: WebSocketLike;
    try {
      ws = this.transport === 'sse' ? this.openStream(token) : (new this.WebSocketClass!(url) as WebSocketLike);
    } catch (err) {
      // A malformed URL will not get better by retrying.
      this.stopped = true;
      this.setState('closed');
      const error = new OdinClientError('BAD_URL', err instanceof Error ? err.message : String(err));
      this.rejectOpenWaiters(error);
      this.emit('error', error);
      return;
    }
    this.ws = ws;
    ws.onmessage = (event) => {
      if (this.ws === ws) this.onFrame(event.data);
    };
    ws.onclose = (event) => {
      if (this.ws === ws) this.onSocketClosed(event.code, event.reason);
    };
    // A failed socket also fires `close`, which is where it is handled.
    ws.onerror = () => undefined;
    const connectTimeout = this.options.connectTimeoutMs ?? 10_000;
    this.connectTimer = setTimeout(() => this.drop(CloseCode.ABNORMAL, `no welcome within ${connectTimeout} ms`), connectTimeout);
  }

  /**
   * An SSE stream of every subscription, resuming from their positions (the
   * cursor). A stream has one `conflate` for all its channels: the smallest
   * asked for when every subscription asks for one, else none (the
   * conflated ones then get every message, which continuity accepts).
   */
  private openStream(token: string | undefined): SseSocket {
    const fetchImpl = this.options.fetch ?? (globalThis as { fetch?: FetchLike }).fetch;
    if (!fetchImpl) throw new Error('no fetch in this runtime: the SSE transport needs one (pass options.fetch)');
    const subs = [...this.subscriptions.values()];
    const intervals = subs.map((s) => s.conflate);
    const conflate = subs.length > 0 && intervals.every((c) => c !== undefined) ? Math.min(...intervals) : undefined;
    const lastEventId = sseCursor(subs.map((s) => s.position));
    return new SseSocket(
      this.options.sseUrl ?? sseUrlFor(this.options.url),
      { channels: subs.map((s) => s.channel), ...(lastEventId !== undefined ? { lastEventId } : {}), ...(token ? { token } : {}), ...(conflate !== undefined ? { conflate } : {}) },
      fetchImpl,
    );
  }

  /** Reopens an SSE stream at once (its channels or token changed), resuming from the positions. */
  private reopenStream(reason: string): void {
    this.drop(CLIENT_DROP_CODE, reason, 0);
  }

  /** Abandons the current socket at once (a dead one may never report its close) and reconnects. */
  private drop(code: number, reason: string, delayMs?: number): void {
    const ws = this.ws;
    if (!ws) return;
    this.ws = undefined;
    detach(ws);
    try {
      ws.close(CLIENT_DROP_CODE, reason.slice(0, 100));
    } catch {
      // closing a socket that never opened may throw in some runtimes
    }
    (ws as { terminate?: () => void }).terminate?.();
    this.onClosed(code, reason, delayMs);
  }

  private onSocketClosed(code: number, reason: string): void {
    this.ws = undefined;
    this.onClosed(code, reason);
  }

  private onClosed(code: number, reason: string, forcedDelayMs?: number): void {
    // A WebSocket that never got to `welcome` without a word from the server (1006): try the next transport at once.
    if (!this.welcomed && code === CloseCode.ABNORMAL && this.transport === 'websocket' && this.transportAt + 1 < this.transports.length && forcedDelayMs === undefined) {
      this.transportAt++;
      this.emit('transport', this.transport);
      forcedDelayMs = 0;
    }
    if (this.openedAt > 0 && Date.now() - this.openedAt >= (this.options.stableAfterMs ?? 5000)) this.attempt = 0;
    this.openedAt = 0;
    this.afterDisconnect();
    this.scheduleReconnect(code, reason, forcedDelayMs);
  }

  private scheduleReconnect(code: number, reason: string, forcedDelayMs?: number): void {
    if (this.stopped) return;
    const canRefresh = this.tokenSource() !== undefined;
    const advice = this.options.autoReconnect === false && forcedDelayMs === undefined
      ? ({ reconnect: false, reason: 'automatic reconnect is off' } as const)
      : forcedDelayMs !== undefined
        ? ({ reconnect: true, delayMs: forcedDelayMs } as const)
        : adviseReconnect(code, this.attempt, canRefresh, this.reconnectOptions, this.options.random);
    if (!advice.reconnect) {
      this.stopped = true;
      this.emit('close', { code, reason, willReconnect: false, delayMs: 0 });
      this.setState('closed');
      const error = code === CloseCode.UNAUTHORIZED ? new UnauthorizedError(advice.reason, isTokenReason(reason) ? reason : undefined) : new OdinClientError('CLOSED', `${advice.reason} (close ${code})`);
      this.rejectOpenWaiters(error);
      this.emit('error', error);
      return;
    }
    this.attempt++;
    this.emit('close', { code, reason, willReconnect: true, delayMs: advice.delayMs });
    this.setState('reconnecting');
    this.reconnectTimer = setTimeout(() => void this.openSocket(), advice.delayMs);
  }

  /** The function that makes fresh tokens, if the app gave one. */
  private tokenSource(): (() => string | Promise<string>) | undefined {
    return this.options.getToken ?? (typeof this.options.token === 'function' ? this.options.token : undefined);
  }

  /**
   * Replaces the connection's token now, without reconnecting: gets a fresh
   * one from `getToken` and sends `auth`. Resolves once sent; the server
   * answers `authenticated` (event) or an error (event).
   */
  async refreshToken(): Promise<void> {
    const source = this.tokenSource();
    if (!source) throw new OdinClientError('NO_TOKEN_SOURCE', 'refreshing needs a getToken function');
    if (this.ws instanceof SseSocket) {
      // A stream cannot take a token in-band: reopen it with a fresh one (openSocket asks getToken), resuming from the positions.
      this.reopenStream('SSE: new token');
      return;
    }
    const ws = this.ws;
    let token: string;
    try {
      token = await source();
    } catch (err) {
      const error = new OdinClientError('TOKEN_FAILED', `the token function failed: ${err instanceof Error ? err.message : String(err)}`);
      this.emit('error', error);
      throw error;
    }
    if (this.ws !== ws || !this.sendJson({ type: 'auth', id: `auth-${this.nextId++}`, token })) {
      throw new OdinClientError('NOT_CONNECTED', 'not connected: the next connection uses a fresh token anyway');
    }
  }

  /** Plans the in-band refresh of a token expiring at `exp` (Unix seconds). */
  private scheduleRefresh(exp: number | null): void {
    if (this.refreshTimer !== undefined) clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    if (exp === null || exp === undefined || !this.tokenSource()) return;
    const remaining = exp * 1000 - Date.now();
    const lead = Math.min(this.options.refreshBeforeExpiryMs ?? 60_000, remaining / 2);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      // A failure is reported as an error event; the server then closes at exp with 4003 and the reconnect gets a fresh token.
      this.refreshToken().catch(() => undefined);
      // setTimeout's limit is about 24.8 days; a longer-lived token is refreshed early.
    }, Math.min(2 ** 31 - 1, Math.max(0, remaining - lead)));
  }

  /** What every kind of disconnect shares: timers stop, half-done resumes are forgotten (they will be replayed). */
  private afterDisconnect(): void {
    this.heartbeat.stop();
    if (this.refreshTimer !== undefined) clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    for (const sub of this.subscriptions.values()) {
      // Held messages were never delivered, so the position still points before them.
      sub.held = [];
      sub.resuming = false;
      sub.phase = 'queued';
      sub.requestId = undefined;
    }
    this.unsubscribing.clear();
    for (const ping of this.pings.values()) ping.reject(new OdinClientError('DISCONNECTED', 'connection closed before the pong'));
    this.pings.clear();
  }

  private clearTimers(): void {
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    if (this.refreshTimer !== undefined) clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    this.heartbeat.stop();
  }

  private setState(state: ConnectionState): void {
    if (state === this.currentState) return;
    const previous = this.currentState;
    this.currentState = state;
    this.emit('state', state, previous);
  }

  private rejectOpenWaiters(error: Error): void {
    for (const w of this.openWaiters.splice(0)) w.reject(error);
  }

  // ---- incoming frames ----

  private onFrame(data: unknown): void {
    this.heartbeat.frameReceived();
    if (typeof data !== 'string') return; // the protocol is text only
    // A frame may carry several messages separated by '\n' (protocol: "Batches").
    let messages: ServerMessage[];
    try {
      messages = parseServerFrame(data);
    } catch {
      this.emit('error', new OdinClientError('BAD_FRAME', 'the server sent a frame that is not JSON'));
      return;
    }
    for (const message of messages) this.onServerMessage(message);
  }

  private onServerMessage(m: ServerMessage): void {
    switch (m.type) {
      case 'message':
        return this.onData(m);
      case 'welcome':
        return this.onWelcome(m);
      case 'replaying':
        return this.onReplaying(m);
      case 'subscribed':
        return this.onSubscribed(m);
      case 'pong':
        return this.onPong(m);
      case 'error':
        return this.onError(m);
      case 'authenticated':
        return this.onAuthenticated(m);
      case 'unsubscribed':
        return this.onUnsubscribed(m);
      case 'conflating':
        return this.onConflating(m);
      default:
        return; // unsubscribed, or a type from a newer protocol
    }
  }

  private onWelcome(m: WelcomeMessage): void {
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    this.session = m.session;
    this.user = m.user;
    this.openedAt = Date.now();
    this.welcomed = true;
    if (this.everOpened) this.stats.reconnects++;
    this.everOpened = true;
    const heartbeat = { ...DEFAULT_HEARTBEAT, ...this.options.heartbeat };
    // A stream cannot carry pings: the server's keepalive comments (every ping_interval_ms) are the signs of life.
    if (this.ws instanceof SseSocket && heartbeat.intervalMs > 0) heartbeat.intervalMs = Math.max(heartbeat.intervalMs, 2 * m.ping_interval_ms);
    this.heartbeat.stop();
    this.heartbeat = this.makeHeartbeat(heartbeat);
    this.heartbeat.start();
    this.scheduleRefresh(m.exp);
    this.setState('open');
    this.emit('open', m);
    for (const w of this.openWaiters.splice(0)) w.resolve();
    this.flush();
  }

  private onUnsubscribed(m: UnsubscribedMessage): void {
    for (const channel of m.channels) {
      const left = (this.unsubscribing.get(channel) ?? 0) - 1;
      if (left > 0) this.unsubscribing.set(channel, left);
      else this.unsubscribing.delete(channel);
    }
  }

  /** True for a message the server sent before it took in our unsubscribe of its channel, and that no live subscription wants. */
  private isStale(m: DataMessage): boolean {
    if (this.unsubscribing.size === 0) return false;
    let unsubscribed = false;
    for (const channel of this.unsubscribing.keys()) if (channelMatches(channel, m.channel)) unsubscribed = true;
    if (!unsubscribed) return false;
    for (const sub of this.subscriptions.values()) if (sub.phase === 'active' && sub.matches(m.channel)) return false;
    return true;
  }

  private onAuthenticated(m: AuthenticatedMessage): void {
    this.scheduleRefresh(m.exp);
    this.emit('authenticated', m.exp);
  }

  private onConflating(m: ConflatingMessage): void {
    this.emit('conflating', { channel: m.channel, conflate: m.conflate });
  }

  private onPong(m: PongMessage): void {
    if (typeof m.id !== 'number') return;
    const ping = this.pings.get(m.id);
    if (!ping) return;
    this.pings.delete(m.id);
    ping.resolve(Date.now() - ping.sentAt);
  }

  private onError(m: ErrorMessage): void {
    const error = new ServerError(m.code, m.message, m.channel, m.reason);
    const sub = m.channel !== undefined ? this.subscriptions.get(m.channel) : undefined;
    if (sub && sub.requestId === m.id && REFUSALS.has(m.code)) {
      // Refused: the server will send no `subscribed`, and retrying would be refused again.
      this.subscriptions.delete(sub.channel);
      this.release(sub);
      sub.failed(error);
    }
    this.emit('error', error);
  }

  /**
   * A resume's outcome, announced before its messages: after recovered:true
   * they are the exact continuation and go through (advancing the position)
   * as they arrive, so a resume cut off mid-replay starts further on next
   * time; after recovered:false they are latest values: resync first.
   */
  private onReplaying(m: ReplayingMessage): void {
    const sub = this.subscriptions.get(m.channel);
    if (!sub || sub.requestId === undefined || sub.requestId !== m.id || !sub.resuming) return;
    this.settleResume(sub, m.recovered);
  }

  private settleResume(sub: ClientSubscription, recovered: boolean): void {
    if (!recovered) {
      // History is gone: continuity restarts from the latest values the server sends.
      this.tracker.forget((channel) => sub.matches(channel));
      this.stats.resyncs++;
      this.emit('resync', { channel: sub.channel });
    }
    this.release(sub);
  }

  private onSubscribed(m: SubscribedMessage): void {
    const sub = this.subscriptions.get(m.channel);
    if (!sub || sub.requestId === undefined || sub.requestId !== m.id) return; // answer to a replaced request
    const resumed = sub.answered;
    // A server that sent no `replaying` (an older one): the outcome comes with the answer.
    if (sub.resuming && m.recovered !== undefined) this.settleResume(sub, m.recovered);
    if (m.recovered === true) this.stats.recovered += m.replayed;
    sub.phase = 'active';
    sub.requestId = undefined;
    sub.answered = true;
    this.release(sub);
    sub.advance(m.position);
    const result: SubscribeResult = {
      channel: m.channel,
      ...(m.recovered !== undefined ? { recovered: m.recovered } : {}),
      replayed: m.replayed,
      resumed,
      position: m.position,
    };
    sub.resolved(result);
    this.emit('subscribed', result);
  }

  /** Ends a resume's hold: the messages that waited for the answer go through in order. */
  private release(sub: ClientSubscription): void {
    sub.resuming = false;
    const held = sub.held;
    sub.held = [];
    for (const m of held) this.onData(m);
  }

  private onData(m: DataMessage): void {
    // Sent before our unsubscribe: a subscription made again since must start from its own first message (a book from its snapshot).
    if (this.isStale(m)) return;
    // While a resume's outcome is unknown, its messages wait: after recovered:false they are a resync, not a gap.
    for (const sub of this.subscriptions.values()) {
      if (sub.resuming && sub.matches(m.channel)) {
        sub.held.push(m);
        return;
      }
    }
    const continuity = this.tracker.check(m);
    const verdict = verdictOf(continuity);
    if (verdict === 'duplicate') {
      this.stats.duplicates++;
      // A new subscription's latest value may repeat what another one delivered: its handlers still want it.
      for (const sub of this.subscriptions.values()) if (sub.phase === 'pending' && sub.matches(m.channel)) this.deliverTo(sub, m);
      return;
    }
    if (verdict === 'gap') {
      this.stats.gaps++;
      this.emit('gap', { channel: m.channel, expectedPrev: this.tracker.lastSeq(m.channel) ?? 0, prev: m.prev, seq: m.seq, kind: continuity === 'epoch' ? 'epoch' : 'gap' });
    }
    this.tracker.record(m);
    this.stats.messages++;
    if (m.skipped !== undefined && m.skipped > 0) this.stats.skipped += m.skipped;
    for (const sub of this.subscriptions.values()) if (sub.matches(m.channel)) this.deliverTo(sub, m);
    this.emit('message', m);
  }

  private deliverTo(sub: ClientSubscription, m: DataMessage): void {
    sub.advance(m);
    for (const handler of sub.handlers) this.callHandler(handler, m);
  }

  private callHandler(handler: MessageHandler, m: DataMessage): void {
    try {
      handler(m.data, m);
    } catch (err) {
      this.emit('error', new HandlerError(m.channel, err));
    }
  }

  private replayCached(sub: ClientSubscription, handler: MessageHandler): void {
    const cached = this.tracker.lastMessages((channel) => sub.matches(channel));
    // After the caller got its Subscription back, as a server answer would be.
    queueMicrotask(() => {
      if (!sub.handlers.has(handler)) return;
      for (const m of cached) this.callHandler(handler, m);
    });
  }

  // ---- outgoing requests ----

  private removeHandler(sub: ClientSubscription, handler: MessageHandler): void {
    if (!sub.handlers.delete(handler) || sub.handlers.size > 0) return;
    if (this.subscriptions.get(sub.channel) !== sub) return;
    this.subscriptions.delete(sub.channel);
    this.release(sub);
    // Continuity of channels no longer subscribed would give false gaps on a later subscribe.
    this.tracker.forget((channel) => sub.matches(channel) && ![...this.subscriptions.values()].some((s) => s.matches(channel)));
    if (sub.phase === 'queued') return;
    // A stream's channels are fixed by its URL: reopen it without this one.
    if (this.ws instanceof SseSocket) return this.reopenStream('SSE: channels changed');
    if (this.sendJson({ type: 'unsubscribe', id: this.nextId++, channels: [sub.channel] })) {
      this.unsubscribing.set(sub.channel, (this.unsubscribing.get(sub.channel) ?? 0) + 1);
    }
  }

  /** Subscribes issued in one turn go out as one request: the server rate-limits requests, not entries. */
  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  /** Sends every queued subscription: fresh ones, and after a reconnect all of them with `since`. */
  private flush(): void {
    if (this.currentState !== 'open') return;
    const queued = [...this.subscriptions.values()].filter((s) => s.phase === 'queued');
    const ws = this.ws;
    // A stream's channels are fixed by its URL: a new one means a new stream (resuming the others from their positions).
    if (ws instanceof SseSocket && queued.some((s) => !ws.channels.includes(s.channel))) return this.reopenStream('SSE: channels changed');
    for (let i = 0; i < queued.length; i += MAX_ENTRIES) {
      const batch = queued.slice(i, i + MAX_ENTRIES);
      const id = this.nextId++;
      const channels: Array<string | SubscribeEntry> = [];
      for (const sub of batch) {
        const entry = sub.entry();
        sub.phase = 'pending';
        sub.requestId = id;
        sub.resuming = typeof entry === 'object' && entry.since !== undefined;
        channels.push(entry);
      }
      this.sendJson({ type: 'subscribe', id, channels });
    }
  }

  private sendJson(message: unknown): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== OPEN) return false;
    ws.send(JSON.stringify(message));
    return true;
  }
}

function detach(ws: WebSocketLike): void {
  ws.onmessage = null;
  ws.onclose = null;
  ws.onopen = null;
  // Keep swallowing errors: 'ws' throws an unhandled 'error' when no listener is left.
  ws.onerror = () => undefined;
}
