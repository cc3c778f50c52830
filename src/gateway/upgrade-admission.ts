// Admission: which HTTP upgrade requests become WebSocket connections (and
// which GET /sse requests become streams). Path, origin, shutdown,
// per-address rate, capacity and identity are checked here, in that order; a
// refusal is answered on the raw socket and counted by reason.
// Admission owns capacity whole: the connection limit (from the memory budget
// and the open files), the set of open connections and the upgrades in
// progress. Identity verification is asynchronous, so the capacity check
// counts the upgrades admitted but not yet open: otherwise every upgrade
// verifying at the same moment would pass a check made against the same count.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { GatewayConfig } from '../config/gateway-options.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { ClientConnection } from './client-connection.js';
import { TokenVerifier, tokenFrom, type Identity } from './client-identity.js';
import { ConnectionRateLimiter } from './connection-rate-limiter.js';
import { FEW_CONNECTIONS, filesFor, type FileBudget } from './file-limit.js';
import { refuseUpgradeResponse } from './http-endpoints.js';
import { maxConnectionsFor, type MemoryBudget } from './memory-budget.js';

/** What admission needs to know about the gateway around it. */
export interface AdmissionHost {
  isShuttingDown(): boolean;
  /** The broker has not finished starting: a client would get neither history nor live messages yet. */
  isBrokerStarting(): boolean;
  /** Called once ws owns the socket; identity may be a refusal (closed with 4003 in-band). */
  onUpgraded(ws: WebSocket, req: IncomingMessage, identity: Identity): void;
}

function destroyOnError(this: Duplex): void {
  this.destroy();
}

/** What the connection limit is derived from. */
export interface CapacityBudgets {
  memory: MemoryBudget;
  files: FileBudget;
}

export type ConnectionLimitSource = 'max-connections' | 'memory' | 'open files';

export class UpgradeAdmission {
  readonly connectLimiter: ConnectionRateLimiter;
  /** Shared with the in-band `auth` handler: one key cache per gateway. */
  readonly verifier: TokenVerifier;
  /** The most connections (WebSocket and SSE) open at once: --max-connections, or derived from memory and open files. */
  readonly maxConnections: number;
  /** What decided maxConnections: --max-connections, the memory budget, or the open-file limit. */
  readonly limitedBy: ConnectionLimitSource;
  private readonly allowedOrigins: ReadonlySet<string> | undefined;
  /** The open connections: added by `opened`, removed by `closed`, nowhere else. */
  private readonly open = new Set<ClientConnection>();
  /** Upgrades past the capacity check and not yet handed to ws (or dropped). */
  private upgrading = 0;

  constructor(
    private readonly config: GatewayConfig,
    private readonly wss: WebSocketServer,
    private readonly metrics: GatewayMetrics,
    private readonly logger: Logger,
    private readonly host: AdmissionHost,
    budgets: CapacityBudgets,
  ) {
    this.connectLimiter = new ConnectionRateLimiter(config.connectBurstPerIp, config.connectRatePerIp);
    this.verifier = new TokenVerifier(config, (result, detail) => {
      metrics.jwksFetches.inc({ result });
      // Failures are logged once per attempt: the backoff bounds the attempts; refusals during it are only counted.
      if (detail !== undefined) logger.warn({ event: 'jwks_fetch_failed', result, detail }, 'JWKS fetch failed: tokens that need it are refused until a fetch succeeds');
    });
    this.allowedOrigins = config.allowedOrigins.length > 0 ? new Set(config.allowedOrigins.map(normaliseOrigin)) : undefined;
    ({ limit: this.maxConnections, limitedBy: this.limitedBy } = this.connectionLimit(budgets));
    this.metrics.connectionsMax.set(this.maxConnections);
  }

  /** The open connections, read-only: iterate them (shutdown, epoch change, keepalive); only admission adds or removes. */
  get connections(): ReadonlySet<ClientConnection> {
    return this.open;
  }

  get connectionCount(): number {
    return this.open.size;
  }

  /** Upgrades admitted and still verifying their identity. */
  get inProgress(): number {
    return this.upgrading;
  }

  /** No room for one more: open connections plus upgrades in progress have reached the limit. */
  get atCapacity(): boolean {
    return this.open.size + this.upgrading >= this.maxConnections;
  }

  /** A connection (WebSocket or SSE) is open and counts against the limit. */
  opened(conn: ClientConnection): void {
    this.open.add(conn);
    this.metrics.connectionsActive.set(this.open.size);
  }

  /** A connection is gone; false when it was not counted (already closed, or never opened). */
  closed(conn: ClientConnection): boolean {
    if (!this.open.delete(conn)) return false;
    this.metrics.connectionsActive.set(this.open.size);
    return true;
  }

  /** The lower of the memory budget's limit and the open files' (past the open-file limit accept() fails and /proc cannot be read). */
  private connectionLimit({ memory, files }: CapacityBudgets): { limit: number; limitedBy: ConnectionLimitSource } {
    const byMemory = maxConnectionsFor(this.config.maxConnections, memory, this.config.connectionBudgetKb);
    const limit = Math.min(byMemory, files.maxConnections);
    const explicit = this.config.maxConnections > 0;
    // The memory-derived default is an estimate, not a promise: files capping it is worth a warning only when the
    // gateway is left with very few connections; an explicit --max-connections the files cannot honour always is.
    if (limit < byMemory && (explicit || limit < FEW_CONNECTIONS)) {
      const needed = filesFor(byMemory);
      this.logger.warn(
        { event: 'connection_limit_from_open_files', open_files: files.openFiles, max_connections: limit, by_memory: byMemory, open_files_needed: needed },
        explicit
          ? `--max-connections ${byMemory} is more than the open-file limit (${files.openFiles}) allows: ${limit} connections (raise ulimit -n to ${needed})`
          : `connection limit ${limit}: the open-file limit (${files.openFiles}) allows no more than that (raise ulimit -n to ${needed} for the ${byMemory} the memory budget allows)`,
      );
    }
    return { limit, limitedBy: limit < byMemory ? 'open files' : explicit ? 'max-connections' : 'memory' };
  }

  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // A module-level listener, removed once ws owns the socket: a closure here
    // would share this function's context and keep `req` alive per connection.
    socket.on('error', destroyOnError);
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname !== '/ws') return this.refuse(socket, this.refused(404, 'not_found'));
    const refusal = this.refusalOf(req);
    if (refusal) return this.refuse(socket, refusal);
    this.setInProgress(this.upgrading + 1);
    try {
      const identity = await this.verifier.identify(tokenFrom(req, url), this.config.authRequired);
      if (socket.destroyed) return;
      if (!identity.ok && identity.busy) return this.refuse(socket, this.refused(503, 'jwks_busy'));
      socket.off('error', destroyOnError);
      // Without verifyClient, ws completes the upgrade (and calls back) synchronously,
      // so the connection is counted (`opened`) before `upgrading` drops below.
      this.wss.handleUpgrade(req, socket, head, (ws) => this.host.onUpgraded(ws, req, identity));
    } finally {
      this.setInProgress(this.upgrading - 1);
    }
  }

  /**
   * The checks every new client passes before its identity, a WebSocket
   * upgrade or an SSE stream (sse-endpoint.ts) alike: origin, shutdown,
   * per-address rate, capacity. Counted here when refused; undefined = go on.
   */
  refusalOf(req: IncomingMessage): { status: number; reason: string } | undefined {
    // Browsers always send Origin on a WebSocket upgrade (and a cross-origin EventSource); other clients may omit it and are not browsers' victims.
    const origin = req.headers.origin;
    if (this.allowedOrigins && origin !== undefined && !this.allowedOrigins.has(normaliseOrigin(origin))) {
      this.logger.info({ event: 'origin_refused', origin: origin.slice(0, 200), remote: req.socket.remoteAddress }, 'connection refused: origin not allowed');
      return this.refused(403, 'origin');
    }
    if (this.host.isShuttingDown()) return this.refused(503, 'shutting_down');
    if (this.host.isBrokerStarting()) return this.refused(503, 'broker_starting');
    if (!this.connectLimiter.allow(req.socket.remoteAddress ?? '')) {
      const refused = this.connectLimiter.refused;
      if ((refused & (refused - 1)) === 0) {
        this.logger.warn({ event: 'connection_rate_limited', remote: req.socket.remoteAddress, refused }, 'connection refused: too many from this address');
      }
      return this.refused(429, 'connection_rate');
    }
    if (this.atCapacity) {
      this.logger.warn({ event: 'at_capacity', connections: this.open.size, upgrading: this.upgrading, max: this.maxConnections }, 'connection refused: at capacity');
      return this.refused(503, 'capacity');
    }
    return undefined;
  }

  private refused(status: number, reason: string): { status: number; reason: string } {
    this.metrics.connectionsFailed.inc({ reason });
    return { status, reason };
  }

  private setInProgress(n: number): void {
    this.upgrading = n;
    this.metrics.upgradesInProgress.set(n);
  }

  /** Answers a refusal (already counted) on the raw socket. */
  private refuse(socket: Duplex, { status, reason }: { status: number; reason: string }): void {
    socket.end(refuseUpgradeResponse(status, reason));
  }
}

/** Origins compare as browsers send them: scheme://host[:port], lower case, no trailing slash. */
export function normaliseOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, '');
}
