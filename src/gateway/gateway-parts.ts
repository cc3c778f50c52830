// The gateway's composition root: builds every part once, in dependency
// order, and wires the parts to each other. Each part owns its own state
// (docs/design.md, "Who owns what"); this file owns none. The running gateway
// (gateway-server.ts) receives the parts and drives their lifecycle (start,
// shutdown) and the connections' (open, close, epoch changes). The parts that
// call back into it do so through GatewayHost, only once it is running.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Registry } from 'prom-client';
import { CloseCode, closeCodeName, ErrorCode } from '@odin-gateway/client/codes';
import { closeConnectionsOf } from '../api/api-disconnect.js';
import { ServerApi } from '../api/server-api.js';
import { BookRefusal } from '../books/book-message.js';
import { BookStore } from '../books/book-store.js';
import type { Broker } from '../broker/broker.js';
import { defaultChannelList, type GatewayConfig } from '../config/gateway-options.js';
import type { Logger } from '../observability/logger.js';
import { createGatewayMetrics, createRegistry, type GatewayMetrics } from '../observability/metrics.js';
import { expireConnection, type AuthContext } from './auth-handler.js';
import type { FrameRouterContext } from './client-frame-router.js';
import { ClientSocket } from './client-socket.js';
import { deflateNegotiation, recordNegotiation } from './compression.js';
import { ConflationHub } from './conflation/conflation-hub.js';
import { switchToConflation } from './conflation/slow-client-policy.js';
import { ExpirySchedule } from './expiry-schedule.js';
import { adminListenerBudget, fileBudget, openFileLimit } from './file-limit.js';
import { GatewayObserver } from './gateway-observer.js';
import type { TimerErrorHandler } from './guarded-timer.js';
import type { HealthReport } from './health-report.js';
import { serveHttp, type HttpEndpointsContext, type Readiness } from './http-endpoints.js';
import { KeepaliveSweep } from './keepalive-sweep.js';
import { ListenerGuard } from './listener-guard.js';
import { memoryBudget } from './memory-budget.js';
import { MetricsCache } from './metrics-cache.js';
import { ResourceSampler } from './resource-sampler.js';
import { sdkCorsHeaders } from './sdk-cors.js';
import { serveSse, type SseHost } from './sse/sse-endpoint.js';
import type { SubscribeContext } from './subscribe-handler.js';
import { SubscriptionHub } from './subscription-hub.js';
import { UpgradeAdmission, type AdmissionHost } from './upgrade-admission.js';
import { checkWsInternals } from './ws-socket-adapter.js';

export interface GatewayDependencies {
  broker: Broker;
  logger: Logger;
  /** Metrics registry; a fresh one (with Node's default metrics) when absent. */
  registry?: Registry;
}

/** What the parts ask of the running gateway. */
export interface GatewayHost extends AdmissionHost {
  health(): HealthReport;
  readiness(): Readiness;
  uptimeSec(): number;
  /** What GET /sse needs (connections opened and closed by the gateway). */
  sseHost(): SseHost;
}

export interface GatewayParts {
  readonly registry: Registry;
  readonly metrics: GatewayMetrics;
  /** Turns every event the parts report into metrics and log lines. */
  readonly observer: GatewayObserver;
  /** Every timer reports here instead of throwing out of the event loop. */
  readonly onTimerError: TimerErrorHandler;
  readonly memoryLimitBytes: number;
  /** Starts this process's session ids; with the instance id, names it in control messages. */
  readonly sessionPrefix: string;
  readonly defaultChannels: readonly string[];
  readonly hub: SubscriptionHub;
  /** Conflated subscriptions (subscribe entries with `conflate`), apart from the live hub. */
  readonly conflation: ConflationHub;
  /** Book channels folded once per message (src/books/). */
  readonly books: BookStore;
  readonly subscribeContext: SubscribeContext;
  /** One timer for every connection's token expiry. */
  readonly expiry: ExpirySchedule;
  /** Capacity (the limit and the open connections), identity and the upgrade checks. */
  readonly admission: UpgradeAdmission;
  readonly authContext: AuthContext;
  readonly frameRouter: FrameRouterContext;
  /** The server API under /api/ (src/api/). */
  readonly api: ServerApi;
  /** The public listener: the site, /ws, /sse, probes, and /metrics and /api/ unless they have their own port. */
  readonly server: Server;
  /** The private listener for /metrics and the probes when --metrics-port is set. */
  readonly metricsServer: Server | undefined;
  readonly guard: ListenerGuard;
  /** The private listeners' guards (--metrics-port, --api-port): the same deadline and cap, their own share of open files. */
  readonly adminGuards: readonly ListenerGuard[];
  readonly sweep: KeepaliveSweep;
  readonly sampler: ResourceSampler;
}

export function composeGateway(config: GatewayConfig, deps: GatewayDependencies, host: GatewayHost): GatewayParts {
  const { broker, logger } = deps;
  const registry = deps.registry ?? createRegistry();
  const metrics = createGatewayMetrics(registry);
  seedLabelledSeries(metrics);
  const memory = memoryBudget(config.memoryLimitMb);
  metrics.memoryLimitBytes.set(memory.limitBytes);
  // Each private listener gets its own small share of the open files, taken out of the public one's.
  const files = fileBudget(openFileLimit(), (config.metricsPort !== undefined ? 1 : 0) + (config.apiPort !== undefined ? 1 : 0));
  const sessionPrefix = randomBytes(3).toString('hex');

  checkWsInternals();
  const observer = new GatewayObserver(metrics, logger, config.maxQueueBytes);
  const onTimerError: TimerErrorHandler = (timer, err) => observer.timerFailed(timer, err);
  const hub = new SubscriptionHub(observer, config.compressionMinBytes);
  const books = new BookStore({ broker, metrics, logger, maxRecent: config.historySize });
  const conflation = new ConflationHub(hub, observer, onTimerError);
  if (config.slowClient === 'conflate') hub.divertSlow = (sub, unsent) => switchToConflation(hub, conflation, observer, sub, unsent);
  const subscribeContext: SubscribeContext = {
    broker,
    hub,
    conflation,
    books,
    metrics,
    logger,
    maxSubscriptions: config.maxSubscriptions,
    publicChannels: config.publicChannels.length === 1 && config.publicChannels[0] === 'none' ? [] : config.publicChannels,
    channelFamilies: config.channelFamilies,
  };

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.maxFrameBytes,
    perMessageDeflate: deflateNegotiation(config.compression === 'on'),
    clientTracking: false,
    WebSocket: ClientSocket,
  });
  recordNegotiation(wss);
  const admission = new UpgradeAdmission(config, wss, metrics, logger, host, { memory, files });
  // The expiry timer closes through the auth context, which holds the schedule: the callback runs only once both exist.
  const expiry = new ExpirySchedule((conn) => expireConnection(authContext, conn), onTimerError);
  const authContext: AuthContext = {
    verifier: admission.verifier,
    expiry,
    clockToleranceMs: config.jwtClockToleranceSec * 1000,
    metrics,
    logger,
    subscribe: subscribeContext,
  };
  const frameRouter: FrameRouterContext = {
    metrics,
    logger,
    subscribe: subscribeContext,
    auth: authContext,
    rateLimitPerSec: config.rateLimitPerSec,
    rateLimitBurst: config.rateLimitBurst,
  };

  const apiConnections = {
    disconnectUser: (user: string) => closeConnectionsOf(admission.connections, user),
    subscriberCount: (channel: string) => hub.subscriberCount(channel),
    book: (channel: string, depth: number) => books.snapshot(channel, depth),
  };
  const api = new ServerApi(config, broker, apiConnections, metrics, logger, `${config.instanceId}-${sessionPrefix}`);
  const sseHost = host.sseHost();
  const metricsCache = new MetricsCache(registry, config.metricsCacheMs, (result) => metrics.metricsScrapes.inc({ result }));
  const httpContext: HttpEndpointsContext = {
    health: () => host.health(),
    readiness: () => host.readiness(),
    uptimeSec: () => host.uptimeSec(),
    // With a metrics listener, /metrics leaves the public port: who can reach the port need not read the metrics.
    metrics: config.metricsPort === undefined ? metricsCache : undefined,
    site: true,
    sdkCors: sdkCorsHeaders(config.allowedOrigins),
    api: api.onPublicPort ? api : undefined,
    sse: (req, res, url) => serveSse(sseHost, req, res, url),
    logger,
  };
  const server = createServer((req, res) => void serveHttp(httpContext, req, res));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void admission.handleUpgrade(req, socket, head));
  const guardOptions = { handshakeTimeoutMs: config.handshakeTimeoutMs, maxPendingHandshakes: config.maxPendingHandshakes };
  const guard = new ListenerGuard(server, { ...guardOptions, files }, metrics, logger, onTimerError);
  const adminGuards: ListenerGuard[] = [];
  let metricsServer: Server | undefined;
  if (config.metricsPort !== undefined) {
    // Metrics and probes only: the server API and SSE stay where they are configured, never here.
    const metricsContext: HttpEndpointsContext = { ...httpContext, metrics: metricsCache, site: false, api: undefined, sse: undefined };
    metricsServer = createServer((req, res) => void serveHttp(metricsContext, req, res));
    adminGuards.push(new ListenerGuard(metricsServer, { ...guardOptions, files: adminListenerBudget(files), listener: 'metrics' }, metrics, logger, onTimerError));
  }
  if (api.adminServer) {
    adminGuards.push(new ListenerGuard(api.adminServer, { ...guardOptions, files: adminListenerBudget(files), listener: 'api' }, metrics, logger, onTimerError));
  }
  const sweep = new KeepaliveSweep(admission.connections, config.pingIntervalMs, observer, () => admission.connectLimiter.prune());

  return {
    registry,
    metrics,
    observer,
    onTimerError,
    memoryLimitBytes: memory.limitBytes,
    sessionPrefix,
    defaultChannels: defaultChannelList(config.defaultChannels),
    hub,
    conflation,
    books,
    subscribeContext,
    expiry,
    admission,
    authContext,
    frameRouter,
    api,
    server,
    metricsServer,
    guard,
    adminGuards,
    sweep,
    sampler: new ResourceSampler(),
  };
}

/** Labelled series exist from the start (at 0), so rates and alerts have data before the first event. */
function seedLabelledSeries(metrics: GatewayMetrics): void {
  for (const reason of ['capacity', 'connection_rate', 'shutting_down', 'broker_starting', 'jwks_busy', 'unauthorized', 'not_found', 'origin', 'invalid_stream']) metrics.connectionsFailed.inc({ reason }, 0);
  for (const result of ['accepted', 'invalid', 'other_user']) metrics.tokenRefreshes.inc({ result }, 0);
  metrics.ingestDropped.inc({ reason: 'invalid_channel' }, 0);
  for (const code of [...Object.values(ErrorCode), 'MESSAGE_TOO_BIG']) metrics.clientErrors.inc({ code }, 0);
  for (const result of ['recovered', 'not_recovered', 'unavailable']) metrics.resumes.inc({ result }, 0);
  for (const timer of ['resource_sampler', 'keepalive_sweep', 'handshake_sweep', 'conflation']) metrics.timerErrors.inc({ timer }, 0);
  for (const code of Object.values(CloseCode)) metrics.disconnections.inc({ code: closeCodeName(code) }, 0);
  for (const reason of Object.values(BookRefusal)) metrics.bookRefused.inc({ reason }, 0);
  for (const result of ['snapshot', 'complete', 'unsynced']) metrics.bookRebuilds.inc({ result }, 0);
  for (const result of ['rendered', 'cached'] as const) metrics.metricsScrapes.inc({ result }, 0);
}
