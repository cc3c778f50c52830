// The gateway: wires HTTP (http-endpoints.ts), the socket-level guards
// (listener-guard.ts), admission of upgrades (upgrade-admission.ts), client
// frames (client-frame-router.ts) and fan-out from the broker
// (subscription-hub.ts); owns keepalive, the optional private metrics
// listener and graceful shutdown. The connection set and the limit belong to
// admission (upgrade-admission.ts): the gateway asks it.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { Registry } from 'prom-client';
import { closeConnectionsOf } from '../api/api-disconnect.js';
import { ServerApi } from '../api/server-api.js';
import type { Broker, BrokerMessage } from '../broker/broker.js';
import { defaultChannelList, type GatewayConfig } from '../config/gateway-options.js';
import type { Logger } from '../observability/logger.js';
import { createGatewayMetrics, createRegistry, type GatewayMetrics } from '../observability/metrics.js';
import { CloseCode, closeCodeName, ErrorCode, PROTOCOL_VERSION } from '@odin-gateway/client/codes';
import { BookStore } from '../books/book-store.js';
import { BookRefusal } from '../books/book-message.js';
import { ClientConnection } from './client-connection.js';
import { GatewayObserver } from './gateway-observer.js';
import type { Identity } from './client-identity.js';
import { routeClientFrame, type FrameRouterContext } from './client-frame-router.js';
import { healthReport, type HealthReport } from './health-report.js';
import { closeAtOf, expireConnection, expOf, type AuthContext } from './auth-handler.js';
import { ExpirySchedule } from './expiry-schedule.js';
import { KeepaliveSweep } from './keepalive-sweep.js';
import { onInvalidSubject } from '../broker/ingest-drops.js';
import { memoryBudget } from './memory-budget.js';
import { ResourceSampler } from './resource-sampler.js';
import { serveHttp, type HttpEndpointsContext, type Readiness } from './http-endpoints.js';
import { sdkCorsHeaders } from './sdk-cors.js';
import { adminListenerBudget, fileBudget, openFileLimit } from './file-limit.js';
import type { TimerErrorHandler } from './guarded-timer.js';
import { ListenerGuard } from './listener-guard.js';
import { MetricsCache } from './metrics-cache.js';
import { handleSubscribe, removeAllSubscriptions, subscribeDefaultChannels, type SubscribeContext } from './subscribe-handler.js';
import { serveSse, type SseHost } from './sse/sse-endpoint.js';
import { SubscriptionHub } from './subscription-hub.js';
import { ConflationHub } from './conflation/conflation-hub.js';
import { switchToConflation } from './conflation/slow-client-policy.js';
import { UpgradeAdmission, type AdmissionHost } from './upgrade-admission.js';
import { checkWsInternals, releaseInflater, socketOf } from './ws-socket-adapter.js';
import { socketErrorName } from './socket-errors.js';
import { deflateNegotiation, recordNegotiation, usesSharedDeflate } from './compression.js';
import { wsMasking } from './ws-masking.js';
import { spreadOver } from './drain-schedule.js';
import { WORKER_STATES, type WorkerStatus } from './cluster-protocol.js';

/** ws lets us pick the socket class: the connection rides on it, so listeners need no closure. */
class ClientSocket extends WebSocket {
  conn!: ClientConnection;
  gateway!: OdinGateway;
}

function onSocketMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  const socket = this as ClientSocket;
  socket.conn.alive = true;
  routeClientFrame(socket.gateway.frameRouter, socket.conn, data, isBinary);
  releaseInflater(this);
}
function onSocketPong(this: WebSocket): void {
  (this as ClientSocket).conn.alive = true;
}
function onSocketClose(this: WebSocket, code: number): void {
  const socket = this as ClientSocket;
  socket.gateway.handleClosed(socket.conn, code);
}
function onSocketError(this: WebSocket, err: Error & { code?: string }): void {
  const socket = this as ClientSocket;
  socket.gateway.handleSocketError(socket.conn, err);
}

export interface GatewayDependencies {
  broker: Broker;
  logger: Logger;
  /** Metrics registry; a fresh one (with Node's default metrics) when absent. */
  registry?: Registry;
}

export class OdinGateway implements AdmissionHost {
  readonly registry: Registry;
  readonly metrics: GatewayMetrics;
  readonly hub: SubscriptionHub;
  /** Conflated subscriptions (subscribe entries with `conflate`), apart from the live hub. */
  readonly conflation: ConflationHub;
  /** Book channels folded once per message (src/books/). */
  readonly books: BookStore;
  private readonly observer: GatewayObserver;
  /** The server API under /api/ (src/api/). */
  readonly api: ServerApi;
  private readonly memoryLimitBytes: number;
  private readonly broker: Broker;
  private readonly logger: Logger;
  private readonly server: Server;
  /** The private listener for /metrics when --metrics-port is set. */
  private readonly metricsServer: Server | undefined;
  private readonly guard: ListenerGuard;
  /** The private listeners' guards (--metrics-port, --api-port): the same deadline and cap, their own share of open files. */
  private readonly adminGuards: ListenerGuard[] = [];
  /** Every timer reports here instead of throwing out of the event loop. */
  private readonly onTimerError: TimerErrorHandler = (timer, err) => this.observer.timerFailed(timer, err);
  private readonly wss: WebSocketServer;
  private readonly sweep: KeepaliveSweep;
  private readonly sampler = new ResourceSampler();
  private readonly admission: UpgradeAdmission;
  private readonly defaultChannels: string[];
  private readonly subscribeContext: SubscribeContext;
  private readonly authContext: AuthContext;
  /** One timer for every connection's token expiry. */
  private readonly expiry: ExpirySchedule;
  private ingestDrops = 0;
  private readonly stopIngestDrops: () => void;
  /** @internal read by the socket listeners */
  readonly frameRouter: FrameRouterContext;
  private readonly startedAt = Date.now();
  private shuttingDown = false;
  private draining = false;
  private clusterView: WorkerStatus[] | undefined;
  /** The broker epoch the connected clients' positions belong to. */
  private epoch: string;
  private stopping: Promise<void> | undefined;
  private sessionCounter = 0;
  /** The broker's evicted-channel total at the last sample (the counter moves by the difference). */
  private channelsEvictedSeen = 0;
  private readonly sessionPrefix = randomBytes(3).toString('hex');

  constructor(
    readonly config: GatewayConfig,
    deps: GatewayDependencies,
  ) {
    this.broker = deps.broker;
    this.defaultChannels = defaultChannelList(config.defaultChannels);
    this.epoch = deps.broker.epoch();
    this.logger = deps.logger;
    this.registry = deps.registry ?? createRegistry();
    this.metrics = createGatewayMetrics(this.registry);
    const budget = memoryBudget(config.memoryLimitMb);
    this.memoryLimitBytes = budget.limitBytes;
    // Each private listener gets its own small share of the open files, taken out of the public one's.
    const files = fileBudget(openFileLimit(), (config.metricsPort !== undefined ? 1 : 0) + (config.apiPort !== undefined ? 1 : 0));
    this.metrics.memoryLimitBytes.set(this.memoryLimitBytes);
    // Labelled series exist from the start (at 0), so rates and alerts have data before the first event.
    for (const reason of ['capacity', 'connection_rate', 'shutting_down', 'broker_starting', 'jwks_busy', 'unauthorized', 'not_found', 'origin', 'invalid_stream']) this.metrics.connectionsFailed.inc({ reason }, 0);
    for (const result of ['accepted', 'invalid', 'other_user']) this.metrics.tokenRefreshes.inc({ result }, 0);
    this.metrics.ingestDropped.inc({ reason: 'invalid_channel' }, 0);
    for (const code of [...Object.values(ErrorCode), 'MESSAGE_TOO_BIG']) this.metrics.clientErrors.inc({ code }, 0);
    for (const result of ['recovered', 'not_recovered', 'unavailable']) this.metrics.resumes.inc({ result }, 0);
    for (const timer of ['resource_sampler', 'keepalive_sweep', 'handshake_sweep', 'conflation']) this.metrics.timerErrors.inc({ timer }, 0);
    for (const code of Object.values(CloseCode)) this.metrics.disconnections.inc({ code: closeCodeName(code) }, 0);

    checkWsInternals();
    this.observer = new GatewayObserver(this.metrics, this.logger, config.maxQueueBytes);
    this.hub = new SubscriptionHub(this.observer, config.compressionMinBytes);
    this.books = new BookStore({ broker: this.broker, metrics: this.metrics, logger: this.logger, maxRecent: config.historySize });
    for (const reason of Object.values(BookRefusal)) this.metrics.bookRefused.inc({ reason }, 0);
    for (const result of ['snapshot', 'complete', 'unsynced']) this.metrics.bookRebuilds.inc({ result }, 0);
    this.conflation = new ConflationHub(this.hub, this.observer, (timer, err) => this.onTimerError(timer, err));
    if (config.slowClient === 'conflate') this.hub.divertSlow = (sub, unsent) => switchToConflation(this.hub, this.conflation, this.observer, sub, unsent);
    this.subscribeContext = {
      broker: this.broker,
      hub: this.hub,
      conflation: this.conflation,
      books: this.books,
      metrics: this.metrics,
      logger: this.logger,
      maxSubscriptions: config.maxSubscriptions,
      publicChannels: config.publicChannels.length === 1 && config.publicChannels[0] === 'none' ? [] : config.publicChannels,
    };
    this.expiry = new ExpirySchedule((conn) => expireConnection(this.authContext, conn), (timer, err) => this.onTimerError(timer, err));
    this.frameRouter = {
      metrics: this.metrics,
      logger: this.logger,
      subscribe: this.subscribeContext,
      // Filled below, once admission (which owns the verifier) exists.
      auth: undefined as unknown as AuthContext,
      rateLimitPerSec: config.rateLimitPerSec,
      rateLimitBurst: config.rateLimitBurst,
    };
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: config.maxFrameBytes,
      perMessageDeflate: deflateNegotiation(config.compression === 'on'),
      clientTracking: false,
      WebSocket: ClientSocket,
    });
    const apiConnections = { disconnectUser: (user: string) => closeConnectionsOf(this.connections, user), subscriberCount: (channel: string) => this.hub.subscriberCount(channel), book: (channel: string, depth: number) => this.books.snapshot(channel, depth) };
    this.api = new ServerApi(config, this.broker, apiConnections, this.metrics, this.logger, `${config.instanceId}-${this.sessionPrefix}`);
    const onTimerError = this.onTimerError;
    const sseHost = this.sseHost();
    const metricsCache = new MetricsCache(this.registry, config.metricsCacheMs, (result) => this.metrics.metricsScrapes.inc({ result }));
    for (const result of ['rendered', 'cached'] as const) this.metrics.metricsScrapes.inc({ result }, 0);
    const httpContext: HttpEndpointsContext = {
      health: () => this.health(),
      readiness: () => this.readiness(),
      uptimeSec: () => (Date.now() - this.startedAt) / 1000,
      // With a metrics listener, /metrics leaves the public port: who can reach the port need not read the metrics.
      metrics: config.metricsPort === undefined ? metricsCache : undefined,
      site: true,
      sdkCors: sdkCorsHeaders(config.allowedOrigins),
      api: this.api.onPublicPort ? this.api : undefined,
      sse: (req, res, url) => serveSse(sseHost, req, res, url),
      logger: this.logger,
    };
    this.server = createServer((req, res) => void serveHttp(httpContext, req, res));
    recordNegotiation(this.wss);
    const guardOptions = { handshakeTimeoutMs: config.handshakeTimeoutMs, maxPendingHandshakes: config.maxPendingHandshakes };
    this.guard = new ListenerGuard(
      this.server,
      { ...guardOptions, files },
      this.metrics,
      this.logger,
      onTimerError,
    );
    if (config.metricsPort !== undefined) {
      // Metrics and probes only: the server API and SSE stay where they are configured, never here.
      const metricsContext: HttpEndpointsContext = { ...httpContext, metrics: metricsCache, site: false, api: undefined, sse: undefined };
      this.metricsServer = createServer((req, res) => void serveHttp(metricsContext, req, res));
      this.adminGuards.push(new ListenerGuard(this.metricsServer, { ...guardOptions, files: adminListenerBudget(files), listener: 'metrics' }, this.metrics, this.logger, onTimerError));
    }
    if (this.api.adminServer) {
      this.adminGuards.push(new ListenerGuard(this.api.adminServer, { ...guardOptions, files: adminListenerBudget(files), listener: 'api' }, this.metrics, this.logger, onTimerError));
    }
    this.admission = new UpgradeAdmission(config, this.wss, this.metrics, this.logger, this, { memory: budget, files });
    this.authContext = {
      verifier: this.admission.verifier,
      expiry: this.expiry,
      clockToleranceMs: config.jwtClockToleranceSec * 1000,
      metrics: this.metrics,
      logger: this.logger,
      subscribe: this.subscribeContext,
    };
    this.frameRouter.auth = this.authContext;
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.admission.handleUpgrade(req, socket, head));
    this.sweep = new KeepaliveSweep(this.connections, config.pingIntervalMs, this.observer, () => this.admission.connectLimiter.prune());
    this.broker.onMessage((m) => this.onBrokerMessage(m));
    this.stopIngestDrops = onInvalidSubject((subject) => this.onIngestDropped(subject));
    this.broker.onStatus((status) => {
      this.metrics.natsConnected.set(status === 'connected' ? 1 : 0);
      this.logger[status === 'connected' ? 'info' : 'warn']({ event: `broker_${status}`, broker: this.broker.kind }, `broker ${status}`);
    });
  }

  /** Listens; resolves with the bound port. */
  async start(): Promise<number> {
    this.metrics.natsConnected.set(this.broker.status() === 'connected' ? 1 : 0);
    // --reuse-port: this process binds its own SO_REUSEPORT socket (exclusive: not through a cluster primary).
    await listen(this.server, this.config.port, this.config.host, this.config.reusePort);
    if (this.metricsServer) await listen(this.metricsServer, this.config.metricsPort ?? 0, this.config.metricsHost);
    await this.api.start();
    this.sweep.start();
    this.guard.start();
    for (const guard of this.adminGuards) guard.start();
    this.sampler.start(
      2000,
      (s) => {
        this.metrics.cpuPercent.set(s.cpuPercent);
        this.metrics.memoryBytes.set(s.rssBytes);
        this.metrics.eventLoopUtilization.set(s.eventLoopUtilization);
        this.sampleBroker();
      },
      this.onTimerError,
    );
    const port = this.port;
    const masking = wsMasking();
    this.metrics.nativeBufferutil.set(masking === 'javascript' ? 0 : 1);
    this.logger.info(
      { event: 'gateway_started', pid: process.pid, session_prefix: this.sessionPrefix, port, host: this.config.host, broker: this.broker.kind, max_connections: this.admission.maxConnections, ws_masking: masking, metrics_port: this.metricsPort ?? null },
      `gateway listening on ${this.config.host}:${port}`,
    );
    return port;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The bound port of the metrics listener, when there is one. */
  get metricsPort(): number | undefined {
    return this.metricsServer ? (this.metricsServer.address() as AddressInfo | null)?.port : undefined;
  }

  /** Ready to take connections: broker connected, below capacity (upgrades in progress included), not stopping. */
  readiness(): Readiness {
    const reasons: string[] = [];
    const starting = this.broker.starting?.();
    if (starting !== undefined) reasons.push('broker_starting');
    else if (this.broker.status() !== 'connected') reasons.push('broker_disconnected');
    if (this.admission.atCapacity) reasons.push('at_capacity');
    if (this.shuttingDown) reasons.push('shutting_down');
    if (this.draining) reasons.push('draining');
    return { ready: reasons.length === 0, reasons, ...(starting !== undefined ? { broker: starting } : {}), ...(this.clusterView ? { cluster: this.clusterView } : {}) };
  }

  health(): HealthReport {
    const s = this.sampler.current;
    const broker = this.broker.stats();
    return healthReport({
      brokerKind: this.broker.kind,
      brokerConnected: this.broker.status() === 'connected',
      brokerStarting: this.broker.starting?.(),
      brokerLag: broker.lagMessages,
      brokerBehind: broker.behind,
      connections: this.admission.connectionCount,
      maxConnections: this.admission.maxConnections,
      rssBytes: s.rssBytes,
      memoryLimitBytes: this.memoryLimitBytes,
      cpuPercent: s.cpuPercent,
      eventLoopUtilization: s.eventLoopUtilization,
      uptimeSec: (Date.now() - this.startedAt) / 1000,
      instanceId: this.config.instanceId,
      shuttingDown: this.shuttingDown,
    });
  }

  /**
   * Immediate stop: refuse new connections (503), close every client with
   * 1001 so it reconnects elsewhere, wait up to the shutdown timeout, then
   * drop what is left. The broker belongs to the caller and stays open.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutDown(CloseCode.SERVER_SHUTDOWN, 0);
    return this.stopping;
  }

  /**
   * Drain for a deploy (SIGTERM): stop accepting (under node:cluster the
   * primary stops handing this worker connections), ask every client to move
   * with 4005 DRAINING at a random moment within `spreadMs`, then stop as
   * `stop()` does once they are gone or the shutdown timeout has passed.
   */
  drain(spreadMs = this.config.drainSeconds * 1000): Promise<void> {
    this.stopping ??= this.shutDown(CloseCode.DRAINING, spreadMs);
    return this.stopping;
  }

  /** Under --workers: the primary's table of every worker's state (readiness and `ws_cluster_workers`). */
  setClusterView(workers: WorkerStatus[]): void {
    this.clusterView = workers;
    for (const state of WORKER_STATES) this.metrics.clusterWorkers.set({ state }, workers.filter((w) => w.state === state).length);
  }

  /** Draining: no longer accepting, asking clients to move. */
  isDraining(): boolean {
    return this.draining;
  }

  private async shutDown(code: CloseCode, spreadMs: number): Promise<void> {
    this.shuttingDown = true;
    this.draining = code === CloseCode.DRAINING;
    this.metrics.draining.set(this.draining ? 1 : 0);
    this.logger.info({ event: 'shutdown_started', connections: this.connections.size, code: closeCodeName(code), spread_ms: spreadMs }, this.draining ? `draining: asking clients to move over ${spreadMs} ms` : 'shutting down');
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await spreadOver(this.connections, spreadMs, (conn) => {
      if (this.connections.has(conn)) conn.close(code);
    }, () => this.connections.size === 0);
    const deadline = Date.now() + this.config.shutdownTimeoutMs;
    while (this.connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const dropped = this.connections.size;
    for (const conn of this.connections) conn.terminate();
    this.sweep.stop();
    this.conflation.stop();
    this.expiry.stop();
    this.stopIngestDrops();
    this.guard.stop();
    for (const guard of this.adminGuards) guard.stop();
    this.sampler.stop();
    this.server.closeAllConnections();
    await closed;
    if (this.metricsServer?.listening) {
      const metricsClosed = new Promise<void>((resolve) => this.metricsServer!.close(() => resolve()));
      this.metricsServer.closeAllConnections();
      await metricsClosed;
    }
    await this.api.stop();
    this.logger.info({ event: 'shutdown_complete', dropped }, 'gateway stopped');
  }

  // ---- WebSocket ----

  /** @internal called by admission once ws owns the socket */
  onUpgraded(socket: WebSocket, req: IncomingMessage, identity: Identity): void {
    const ws = socket as ClientSocket;
    if (!identity.ok) {
      this.metrics.connectionsFailed.inc({ reason: 'unauthorized' });
      this.logger.info({ event: 'unauthorized', reason: identity.reason, detail: identity.detail, remote: req.socket.remoteAddress }, 'connection refused: bad token');
      ws.on('error', () => undefined);
      // The close reason is the stable token reason (TOKEN_EXPIRED, TOKEN_INVALID_SIGNATURE, ...): the client learns why, and nothing else.
      ws.close(CloseCode.UNAUTHORIZED, identity.reason);
      return;
    }
    const reference = new URL(req.url ?? '/', 'http://gateway').searchParams.get('protocol') === 'reference';
    const conn = new ClientConnection(this.nextSessionId(), ws, identity.user, req.socket.remoteAddress ?? '', this.config, this.observer, socketOf(ws), { compress: usesSharedDeflate(req), reference });
    ws.conn = conn;
    ws.gateway = this;
    ws.on('message', onSocketMessage);
    ws.on('pong', onSocketPong);
    ws.on('close', onSocketClose);
    ws.on('error', onSocketError);
    this.metrics.connectionsTotal.inc();
    this.admit(conn, identity);
    subscribeDefaultChannels(this.subscribeContext, conn, this.defaultChannels);
  }

  private nextSessionId(): string {
    return `${this.sessionPrefix}-${(++this.sessionCounter).toString(36)}`;
  }

  /** A new connection (WebSocket or SSE) joins: identity, expiry, the connection set, welcome. */
  private admit(conn: ClientConnection, identity: Extract<Identity, { ok: true }>): void {
    conn.grants = identity.grants;
    conn.closeAt = closeAtOf(identity.expiresAt, this.authContext.clockToleranceMs);
    this.expiry.set(conn);
    this.admission.opened(conn);
    this.logger.debug({ event: 'connection_opened', session: conn.id, user: identity.user, remote: conn.remoteAddress, transport: conn.sse ? 'sse' : 'ws' }, 'connection opened');
    conn.send({
      type: 'welcome',
      v: PROTOCOL_VERSION,
      session: conn.id,
      user: identity.user,
      ping_interval_ms: this.config.pingIntervalMs,
      max_frame_bytes: this.config.maxFrameBytes,
      exp: expOf(conn.closeAt, this.authContext.clockToleranceMs),
    });
  }

  /** What GET /sse needs from the gateway (sse/sse-endpoint.ts). */
  private sseHost(): SseHost {
    return {
      refusalOf: (req) => this.admission.refusalOf(req),
      identify: (token) => this.admission.verifier.identify(token, this.config.authRequired),
      maxSubscriptions: this.config.maxSubscriptions,
      epoch: () => this.broker.epoch(),
      refused: (reason) => this.metrics.connectionsFailed.inc({ reason }),
      open: (transport, socket, req, identity, encoder) => {
        const conn = new ClientConnection(this.nextSessionId(), transport, identity.user, req.socket.remoteAddress ?? '', this.config, this.observer, socket, { sse: encoder });
        this.metrics.sseConnectionsTotal.inc();
        this.metrics.sseConnectionsActive.inc();
        this.admit(conn, identity);
        return conn;
      },
      subscribe: (conn, entries) =>
        conn.enqueueRequest(
          () => handleSubscribe(this.subscribeContext, conn, { type: 'subscribe', channels: entries }),
          (err) => this.logger.error({ event: 'request_failed', request: 'subscribe', session: conn.id, err: String(err) }, 'subscribe failed'),
        ),
      closed: (conn) => {
        if (this.connections.has(conn)) this.metrics.sseConnectionsActive.dec();
        // The client ending its stream is the normal end of one.
        this.handleClosed(conn, 1000);
      },
    };
  }

  /** The open connections (admission's set, read-only). */
  get connections(): ReadonlySet<ClientConnection> {
    return this.admission.connections;
  }

  /** The connection limit (admission's). */
  get maxConnections(): number {
    return this.admission.maxConnections;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  isBrokerStarting(): boolean {
    return this.broker.starting?.() !== undefined;
  }

  /** @internal */
  handleClosed(conn: ClientConnection, code: number): void {
    conn.markClosed();
    if (!this.admission.closed(conn)) return;
    this.expiry.remove(conn);
    removeAllSubscriptions(this.subscribeContext, conn);
    const effective = conn.serverCloseCode ?? code;
    this.metrics.disconnections.inc({ code: closeCodeName(effective) });
    this.logger.info(
      { event: 'connection_closed', session: conn.id, code: effective, reason: closeCodeName(effective), by: conn.serverCloseCode ? 'server' : 'client', duration_ms: Date.now() - conn.openedAt },
      'connection closed',
    );
  }

  /** @internal */
  handleSocketError(conn: ClientConnection, err: Error & { code?: string }): void {
    // ws emits 'error' then closes: oversized frames (1009), bad UTF-8 or compressed data (1007), protocol errors (1002).
    const { code, close } = socketErrorName(err);
    this.metrics.clientErrors.inc({ code });
    if (close !== undefined) conn.serverCloseCode = close;
    this.logger.info({ event: 'client_protocol_error', session: conn.id, code, err: err.message }, 'client protocol error');
  }

  // ---- broker -> clients ----

  private onBrokerMessage(m: BrokerMessage): void {
    this.metrics.brokerMessages.inc();
    if (m.epoch !== this.epoch) this.onEpochChanged(m.epoch);
    else if (m.afterLoss) this.onLiveLoss(m);
    // Folded before fan-out: subscribers get the book message as the fold rewrote it.
    this.books.onMessage(m);
    this.hub.publish(m);
    this.conflation.publish(m);
  }

  /**
   * A new epoch: the broker's history was reset, so every position clients
   * and subscriptions hold is void. Close everyone with 1012; they come back,
   * resubscribe, learn recovered:false and resync.
   */
  private onEpochChanged(epoch: string): void {
    const previous = this.epoch;
    this.epoch = epoch;
    this.books.reset();
    // Listening began before the broker started: its first epoch is adopted, not a reset (upgrades were refused meanwhile).
    if (previous === '') return void this.logger.info({ event: 'epoch_adopted', epoch }, 'broker started: epoch adopted');
    this.logger.warn({ event: 'epoch_changed', previous, epoch, connections: this.connections.size }, 'broker history was reset: closing clients so they resync');
    for (const conn of this.connections) conn.close(CloseCode.HISTORY_RESET);
  }

  /**
   * Messages were removed from history before this instance took them in:
   * subscribers may have lost some that no prev link shows. Close everyone
   * with 1012 before the message goes out; they resume and learn
   * recovered:false where something is missing.
   */
  private onLiveLoss(m: BrokerMessage): void {
    this.logger.error({ event: 'live_loss', seq: m.seq, connections: this.connections.size }, 'the broker lost messages before delivering them: closing clients so they resume');
    for (const conn of this.connections) conn.close(CloseCode.HISTORY_RESET);
  }

  /** Broker live-path gauges (consumer lag, channels tracked), sampled with the resources. */
  private sampleBroker(): void {
    const b = this.broker.stats();
    this.metrics.natsConsumerLag.set(b.lagMessages);
    this.metrics.natsConsumerBehind.set(b.behind ? 1 : 0);
    this.metrics.channelsTracked.set(b.channels);
    if (b.channelsEvicted > this.channelsEvictedSeen) this.metrics.channelsEvicted.inc(b.channelsEvicted - this.channelsEvictedSeen);
    this.channelsEvictedSeen = b.channelsEvicted;
  }

  /** A broker message on a subject that is not a valid channel name was dropped at ingest. */
  private onIngestDropped(subject: string): void {
    this.metrics.ingestDropped.inc({ reason: 'invalid_channel' });
    // Powers of two: a flood of bad subjects is visible without flooding the logs.
    if ((++this.ingestDrops & (this.ingestDrops - 1)) === 0) {
      this.logger.warn({ event: 'ingest_dropped', reason: 'invalid_channel', dropped: this.ingestDrops, subject: JSON.stringify(subject.slice(0, 200)) }, 'dropped a broker message whose subject is not a valid channel name');
    }
  }
}

function listen(server: Server, port: number, host: string, reusePort = false): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, ...(reusePort ? { reusePort: true, exclusive: true } : {}) }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
