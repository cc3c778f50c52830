// The running gateway: its parts are built by the composition root
// (gateway-parts.ts); here they are started and stopped, connections are
// opened (WebSocket and SSE) and closed, and broker messages fan out. It owns
// the lifecycle (running, draining, shutting down), the epoch clients'
// positions belong to, and session ids. The connection set and the limit
// belong to admission (upgrade-admission.ts): the gateway asks it.
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebSocket } from 'ws';
import type { Registry } from 'prom-client';
import type { Broker, BrokerMessage } from '../broker/broker.js';
import type { GatewayConfig } from '../config/gateway-options.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { CloseCode, closeCodeName, PROTOCOL_VERSION } from '@odin-gateway/client/codes';
import type { BookStore } from '../books/book-store.js';
import type { ServerApi } from '../api/server-api.js';
import { ClientConnection } from './client-connection.js';
import type { Identity } from './client-identity.js';
import type { FrameRouterContext } from './client-frame-router.js';
import { attachClientSocket, type ClientSocketHost } from './client-socket.js';
import { composeGateway, type GatewayDependencies, type GatewayHost, type GatewayParts } from './gateway-parts.js';
import { healthReport, type HealthReport } from './health-report.js';
import { closeAtOf, expOf } from './auth-handler.js';
import { onInvalidSubject } from '../broker/ingest-drops.js';
import type { Readiness } from './http-endpoints.js';
import { memoryPressure, readMemory } from './memory-pressure.js';
import { handleSubscribe, removeAllSubscriptions, subscribeDefaultChannels } from './subscribe-handler.js';
import type { SseHost } from './sse/sse-endpoint.js';
import type { SubscriptionHub } from './subscription-hub.js';
import type { ConflationHub } from './conflation/conflation-hub.js';
import { socketOf } from './ws-socket-adapter.js';
import { socketErrorName } from './socket-errors.js';
import { usesSharedDeflate } from './compression.js';
import { wsMasking } from './ws-masking.js';
import { spreadOver } from './drain-schedule.js';
import type { ConnectionLimitSource } from './upgrade-admission.js';
import { WORKER_STATES, type WorkerStatus } from './cluster-protocol.js';

export type { GatewayDependencies } from './gateway-parts.js';

export class OdinGateway implements GatewayHost, ClientSocketHost {
  readonly registry: Registry;
  readonly metrics: GatewayMetrics;
  readonly hub: SubscriptionHub;
  /** Conflated subscriptions (subscribe entries with `conflate`), apart from the live hub. */
  readonly conflation: ConflationHub;
  /** Book channels folded once per message (src/books/). */
  readonly books: BookStore;
  /** The server API under /api/ (src/api/). */
  readonly api: ServerApi;
  /** @internal read by the socket listeners */
  readonly frameRouter: FrameRouterContext;
  /** Everything else the composition root built. */
  private readonly parts: GatewayParts;
  private readonly broker: Broker;
  private readonly logger: Logger;
  private ingestDrops = 0;
  private readonly stopIngestDrops: () => void;
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

  constructor(
    readonly config: GatewayConfig,
    deps: GatewayDependencies,
  ) {
    this.broker = deps.broker;
    this.logger = deps.logger;
    this.epoch = deps.broker.epoch();
    const parts = composeGateway(config, deps, this);
    this.parts = parts;
    this.registry = parts.registry;
    this.metrics = parts.metrics;
    this.hub = parts.hub;
    this.conflation = parts.conflation;
    this.books = parts.books;
    this.api = parts.api;
    this.frameRouter = parts.frameRouter;
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
    await listen(this.parts.server, this.config.port, this.config.host, this.config.reusePort);
    if (this.parts.metricsServer) await listen(this.parts.metricsServer, this.config.metricsPort ?? 0, this.config.metricsHost);
    await this.api.start();
    this.parts.sweep.start();
    this.parts.guard.start();
    for (const guard of this.parts.adminGuards) guard.start();
    this.parts.sampler.start(
      2000,
      (s) => {
        this.metrics.cpuPercent.set(s.cpuPercent);
        this.metrics.memoryBytes.set(s.rssBytes);
        this.metrics.eventLoopUtilization.set(s.eventLoopUtilization);
        this.sampleBroker();
      },
      this.parts.onTimerError,
    );
    const port = this.port;
    const masking = wsMasking();
    this.metrics.nativeBufferutil.set(masking === 'javascript' ? 0 : 1);
    this.logger.info(
      { event: 'gateway_started', pid: process.pid, session_prefix: this.parts.sessionPrefix, port, host: this.config.host, broker: this.broker.kind, max_connections: this.parts.admission.maxConnections, ws_masking: masking, metrics_port: this.metricsPort ?? null },
      `gateway listening on ${this.config.host}:${port}`,
    );
    return port;
  }

  get port(): number {
    return (this.parts.server.address() as AddressInfo).port;
  }

  /** The connection limit and what decided it (--max-connections, the memory budget or the open files), for the start line. */
  get connectionLimit(): { max: number; limitedBy: ConnectionLimitSource } {
    return { max: this.parts.admission.maxConnections, limitedBy: this.parts.admission.limitedBy };
  }

  /** The bound port of the metrics listener, when there is one. */
  get metricsPort(): number | undefined {
    return this.parts.metricsServer ? (this.parts.metricsServer.address() as AddressInfo | null)?.port : undefined;
  }

  /** @internal seconds since the gateway was built (/health, /livez). */
  uptimeSec(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  /** Ready to take connections: broker connected, below capacity (upgrades in progress included), not stopping. */
  readiness(): Readiness {
    const reasons: string[] = [];
    const starting = this.broker.starting?.();
    if (starting !== undefined) reasons.push('broker_starting');
    else if (this.broker.status() !== 'connected') reasons.push('broker_disconnected');
    if (this.parts.admission.atCapacity) reasons.push('at_capacity');
    if (this.shuttingDown) reasons.push('shutting_down');
    if (this.draining) reasons.push('draining');
    const memory = memoryPressure(readMemory(this.parts.memoryLimitBytes, this.broker.historyMemory?.()));
    if (memory !== undefined) reasons.push('memory_pressure');
    return {
      ready: reasons.length === 0,
      reasons,
      ...(starting !== undefined ? { broker: starting } : {}),
      ...(memory !== undefined ? { memory } : {}),
      ...(this.clusterView ? { cluster: this.clusterView } : {}),
    };
  }

  health(): HealthReport {
    const s = this.parts.sampler.current;
    const broker = this.broker.stats();
    return healthReport({
      brokerKind: this.broker.kind,
      brokerConnected: this.broker.status() === 'connected',
      brokerStarting: this.broker.starting?.(),
      brokerLag: broker.lagMessages,
      brokerBehind: broker.behind,
      connections: this.parts.admission.connectionCount,
      maxConnections: this.parts.admission.maxConnections,
      rssBytes: s.rssBytes,
      memoryLimitBytes: this.parts.memoryLimitBytes,
      cpuPercent: s.cpuPercent,
      eventLoopUtilization: s.eventLoopUtilization,
      uptimeSec: this.uptimeSec(),
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
    const closed = new Promise<void>((resolve) => this.parts.server.close(() => resolve()));
    await spreadOver(this.connections, spreadMs, (conn) => {
      if (this.connections.has(conn)) conn.close(code);
    }, () => this.connections.size === 0);
    const deadline = Date.now() + this.config.shutdownTimeoutMs;
    while (this.connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const dropped = this.connections.size;
    for (const conn of this.connections) conn.terminate();
    this.parts.sweep.stop();
    this.conflation.stop();
    this.parts.expiry.stop();
    this.stopIngestDrops();
    this.parts.guard.stop();
    for (const guard of this.parts.adminGuards) guard.stop();
    this.parts.sampler.stop();
    this.parts.server.closeAllConnections();
    await closed;
    if (this.parts.metricsServer?.listening) {
      const metricsClosed = new Promise<void>((resolve) => this.parts.metricsServer!.close(() => resolve()));
      this.parts.metricsServer.closeAllConnections();
      await metricsClosed;
    }
    await this.api.stop();
    this.logger.info({ event: 'shutdown_complete', dropped }, 'gateway stopped');
  }

  // ---- WebSocket ----

  /** @internal called by admission once ws owns the socket */
  onUpgraded(ws: WebSocket, req: IncomingMessage, identity: Identity): void {
    if (!identity.ok) {
      this.metrics.connectionsFailed.inc({ reason: 'unauthorized' });
      this.logger.info({ event: 'unauthorized', reason: identity.reason, detail: identity.detail, remote: req.socket.remoteAddress }, 'connection refused: bad token');
      ws.on('error', () => undefined);
      // The close reason is the stable token reason (TOKEN_EXPIRED, TOKEN_INVALID_SIGNATURE, ...): the client learns why, and nothing else.
      ws.close(CloseCode.UNAUTHORIZED, identity.reason);
      return;
    }
    const reference = new URL(req.url ?? '/', 'http://gateway').searchParams.get('protocol') === 'reference';
    const conn = new ClientConnection(this.nextSessionId(), ws, identity.user, req.socket.remoteAddress ?? '', this.config, this.parts.observer, socketOf(ws), { compress: usesSharedDeflate(req), reference });
    attachClientSocket(ws, conn, this);
    this.metrics.connectionsTotal.inc();
    this.admit(conn, identity);
    subscribeDefaultChannels(this.parts.subscribeContext, conn, this.parts.defaultChannels);
  }

  private nextSessionId(): string {
    return `${this.parts.sessionPrefix}-${(++this.sessionCounter).toString(36)}`;
  }

  /** A new connection (WebSocket or SSE) joins: identity, expiry, the connection set, welcome. */
  private admit(conn: ClientConnection, identity: Extract<Identity, { ok: true }>): void {
    conn.setCredentials(identity.grants, closeAtOf(identity.expiresAt, this.parts.authContext.clockToleranceMs));
    this.parts.expiry.set(conn);
    this.parts.admission.opened(conn);
    this.logger.debug({ event: 'connection_opened', session: conn.id, user: identity.user, remote: conn.remoteAddress, transport: conn.sse ? 'sse' : 'ws' }, 'connection opened');
    conn.send({
      type: 'welcome',
      v: PROTOCOL_VERSION,
      session: conn.id,
      user: identity.user,
      ping_interval_ms: this.config.pingIntervalMs,
      max_frame_bytes: this.config.maxFrameBytes,
      exp: expOf(conn.closeAt, this.parts.authContext.clockToleranceMs),
    });
  }

  /** @internal What GET /sse needs from the gateway (sse/sse-endpoint.ts). */
  sseHost(): SseHost {
    return {
      refusalOf: (req) => this.parts.admission.refusalOf(req),
      identify: (token) => this.parts.admission.verifier.identify(token, this.config.authRequired),
      maxSubscriptions: this.config.maxSubscriptions,
      epoch: () => this.broker.epoch(),
      refused: (reason) => this.metrics.connectionsFailed.inc({ reason }),
      open: (transport, socket, req, identity, encoder) => {
        const conn = new ClientConnection(this.nextSessionId(), transport, identity.user, req.socket.remoteAddress ?? '', this.config, this.parts.observer, socket, { sse: encoder });
        this.metrics.sseConnectionsTotal.inc();
        this.metrics.sseConnectionsActive.inc();
        this.admit(conn, identity);
        return conn;
      },
      subscribe: (conn, entries) =>
        conn.enqueueRequest(
          () => handleSubscribe(this.parts.subscribeContext, conn, { type: 'subscribe', channels: entries }),
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
    return this.parts.admission.connections;
  }

  /** The connection limit (admission's). */
  get maxConnections(): number {
    return this.parts.admission.maxConnections;
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
    if (!this.parts.admission.closed(conn)) return;
    this.parts.expiry.remove(conn);
    removeAllSubscriptions(this.parts.subscribeContext, conn);
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
    if (close !== undefined) conn.closedForProtocolError(close);
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
