// Every Prometheus metric Odin exports, in one place. Names of the reference
// gateway are kept (ws_*) so its dashboards keep working; docs/operations.md
// explains each one.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { JWKS_FETCH_RESULTS } from '../gateway/jwks-fetch.js';

/** Latency buckets from 100 µs to 5 s: deliveries on loopback take well under a millisecond. */
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function createGatewayMetrics(registry: Registry) {
  const r = [registry];
  const metrics = {
    connectionsTotal: new Counter({ name: 'ws_connections_total', help: 'WebSocket connections accepted', registers: r }),
    connectionsFailed: new Counter({ name: 'ws_connections_failed_total', help: 'upgrades refused and sockets closed before becoming WebSocket connections, by reason', labelNames: ['reason'] as const, registers: r }),
    disconnections: new Counter({ name: 'ws_disconnections_total', help: 'connections closed, by close code name', labelNames: ['code'] as const, registers: r }),
    messagesSent: new Counter({ name: 'ws_messages_sent_total', help: 'data messages delivered to clients (one per client per message)', registers: r }),
    framesSent: new Counter({ name: 'ws_frames_sent_total', help: 'WebSocket frames written to clients (batches count once)', registers: r }),
    messagesReceived: new Counter({ name: 'ws_messages_received_total', help: 'frames received from clients', registers: r }),
    bytesSent: new Counter({ name: 'ws_bytes_sent_total', help: 'bytes written to clients, frame headers included', registers: r }),
    bytesSentUncompressed: new Counter({ name: 'ws_bytes_sent_uncompressed_total', help: 'what the batch frames in ws_bytes_sent_total would have taken uncompressed (compression ratio = this / ws_bytes_sent_total)', registers: r }),
    bytesReceived: new Counter({ name: 'ws_bytes_received_total', help: 'payload bytes received from clients', registers: r }),
    slowClientsDisconnected: new Counter({ name: 'ws_slow_clients_disconnected_total', help: 'clients closed with 4000 because their outbound queue passed the byte limit', registers: r }),
    rateLimited: new Counter({ name: 'ws_rate_limited_messages_total', help: 'client messages dropped by the inbound rate limit', registers: r }),
    clientErrors: new Counter({ name: 'ws_client_errors_total', help: 'error replies sent to clients, by code', labelNames: ['code'] as const, registers: r }),
    replayRequests: new Counter({ name: 'ws_replay_requests_total', help: 'subscribe requests with a position to resume from', registers: r }),
    resumes: new Counter({ name: 'ws_resumes_total', help: 'resume outcomes: recovered, not_recovered (history lost or other epoch), unavailable (broker error)', labelNames: ['result'] as const, registers: r }),
    historyReplayed: new Counter({ name: 'ws_history_messages_replayed_total', help: 'messages sent from history (resume or latest value)', registers: r }),
    tokenRefreshes: new Counter({ name: 'ws_token_refreshes_total', help: 'in-band token refreshes (auth messages), by result: accepted, invalid, other_user', labelNames: ['result'] as const, registers: r }),
    jwksFetches: new Counter({ name: 'ws_jwks_fetches_total', help: 'JWKS URL fetches by result: ok, http_error, too_large, invalid, unreachable, and backoff (a fetch not made: a failure is recent)', labelNames: ['result'] as const, registers: r }),
    tokensExpired: new Counter({ name: 'ws_tokens_expired_total', help: 'connections closed with 4003 because their token expired', registers: r }),
    ingestDropped: new Counter({ name: 'ws_ingest_dropped_total', help: 'broker messages dropped before delivery, by reason (invalid_channel: a subject that is not a valid channel name); per process', labelNames: ['reason'] as const, registers: r }),
    brokerMessages: new Counter({ name: 'ws_nats_messages_received_total', help: 'messages received from the broker (NATS or memory)', registers: r }),
    timerErrors: new Counter({ name: 'ws_timer_errors_total', help: 'timer callbacks that threw (caught, logged, the process goes on), by timer', labelNames: ['timer'] as const, registers: r }),
    metricsScrapes: new Counter({ name: 'ws_metrics_scrapes_total', help: '/metrics requests, by whether the text was rendered or served from the cache', labelNames: ['result'] as const, registers: r }),
    handshakesPending: new Gauge({ name: 'ws_handshakes_pending', help: 'sockets accepted that have not yet sent a complete first request (HTTP or upgrade)', registers: r }),
    upgradesInProgress: new Gauge({ name: 'ws_upgrades_in_progress', help: 'upgrades admitted and awaiting identity verification (counted against the connection limit)', registers: r }),
    connectionsActive: new Gauge({ name: 'ws_connections_active', help: 'open WebSocket connections', registers: r }),
    connectionsMax: new Gauge({ name: 'ws_connections_max', help: 'connection limit of this instance', registers: r }),
    subscriptionsActive: new Gauge({ name: 'ws_subscriptions_active', help: 'subscriptions over all connections', registers: r }),
    outboundQueueBytes: new Gauge({ name: 'ws_outbound_queue_bytes', help: 'bytes queued to clients, summed (sampled by the keepalive sweep)', registers: r }),
    memoryBytes: new Gauge({ name: 'ws_memory_bytes', help: 'resident set size of the process', registers: r }),
    memoryLimitBytes: new Gauge({ name: 'ws_memory_limit_bytes', help: 'memory budget (cgroup limit or configured)', registers: r }),
    cpuPercent: new Gauge({ name: 'ws_cpu_usage_percent', help: 'process CPU use over the last sample, percent of the cores available', registers: r }),
    natsConsumerLag: new Gauge({ name: 'ws_nats_consumer_lag_messages', help: 'messages in the stream the live consumer has not delivered (sampled; 0 for the memory broker)', registers: r }),
    natsConsumerBehind: new Gauge({ name: 'ws_nats_consumer_behind', help: '1 while the live consumer is behind the stream for longer than the lag window (/health unhealthy)', registers: r }),
    channelsTracked: new Gauge({ name: 'ws_channels_tracked', help: 'channels whose history or latest value the broker keeps (bounded by MAX_CHANNELS)', registers: r }),
    channelsEvicted: new Counter({ name: 'ws_channels_evicted_total', help: 'idle channels forgotten to stay within MAX_CHANNELS (least recently published first)', registers: r }),
    draining: new Gauge({ name: 'ws_draining', help: '1 while this instance drains (SIGTERM): not accepting, asking its clients to move with 4005', registers: r }),
    clusterWorkers: new Gauge({ name: 'ws_cluster_workers', help: 'workers of this --workers cluster by state (starting, up, draining, restarting, down), as the primary last reported them', labelNames: ['state'] as const, registers: r }),
    natsConnected: new Gauge({ name: 'ws_nats_connected', help: '1 when the broker is connected (always 1 for the memory broker)', registers: r }),
    nativeBufferutil: new Gauge({ name: 'ws_native_bufferutil', help: '1 when client frames are unmasked by native code (bufferutil or Node), 0 when by plain JavaScript', registers: r }),
    eventLoopUtilization: new Gauge({ name: 'ws_event_loop_utilization', help: 'fraction of time the event loop was busy over the last sample (0..1)', registers: r }),
    flushDuration: new Histogram({ name: 'ws_flush_duration_seconds', help: 'event-loop time of one fan-out pass: every batch gathered in one turn written to every subscriber (the floor of delivery latency at scale)', buckets: LATENCY_BUCKETS, registers: r }),
    deliveryLatency: new Histogram({ name: 'ws_delivery_latency_seconds', help: 'publish-to-send latency: from broker acceptance to the frame written to sockets', buckets: LATENCY_BUCKETS, registers: r }),
    apiRequests: new Counter({ name: 'ws_api_requests_total', help: 'server API requests, by endpoint and outcome code (OK or the refusal code)', labelNames: ['endpoint', 'code'] as const, registers: r }),
    apiMessagesPublished: new Counter({ name: 'ws_api_messages_published_total', help: 'messages stored through the server API (a de-duplicated retry counts again)', registers: r }),
    apiRequestDuration: new Histogram({ name: 'ws_api_request_duration_seconds', help: 'server API request time, body read to answer, by endpoint', labelNames: ['endpoint'] as const, buckets: LATENCY_BUCKETS, registers: r }),
    apiDisconnects: new Counter({ name: 'ws_api_disconnected_connections_total', help: 'connections closed with 4004 on this instance because the server API asked (from any instance)', registers: r }),
    conflatedSent: new Counter({ name: 'ws_conflated_messages_sent_total', help: 'conflated messages delivered (the newest of its channel at an interval\'s end, one per client), also counted in ws_messages_sent_total', registers: r }),
    conflatedSkipped: new Counter({ name: 'ws_conflated_messages_skipped_total', help: 'messages conflated subscriptions did not receive because a newer one of the channel stood for them (the sum of skipped), per client', registers: r }),
    sseConnectionsTotal: new Counter({ name: 'ws_sse_connections_total', help: 'Server-Sent Events streams opened (GET /sse); they also count in ws_connections_active', registers: r }),
    sseConnectionsActive: new Gauge({ name: 'ws_sse_connections_active', help: 'open Server-Sent Events streams (part of ws_connections_active)', registers: r }),
    bookChannels: new Gauge({ name: 'ws_book_channels', help: 'book channels this instance folds', registers: r }),
    bookRefused: new Counter({ name: 'ws_book_messages_refused_total', help: 'book messages refused at the fold (sent on as empty updates), by reason', labelNames: ['reason'] as const, registers: r }),
    bookChecksumMismatches: new Counter({ name: 'ws_book_checksum_mismatches_total', help: "book messages whose publisher checksum differs from the book folded from the stream (a snapshot is requested)", registers: r }),
    bookCrossed: new Counter({ name: 'ws_book_crossed_total', help: 'book messages after which the book was crossed (best bid at or above best ask); delivered as folded', registers: r }),
    bookRebuilds: new Counter({ name: 'ws_book_rebuilds_total', help: 'books rebuilt from history, by result: snapshot (last snapshot and later updates), complete (all history from the start), unsynced (no base: waits for a snapshot)', labelNames: ['result'] as const, registers: r }),
    bookSnapshotRequests: new Counter({ name: 'ws_book_snapshot_requests_total', help: 'snapshots asked of publishers (control topic book-snapshot) after a mismatch or a rebuild without a base', registers: r }),
    slowClientsConflated: new Counter({ name: 'ws_slow_subscriptions_conflated_total', help: 'live subscriptions switched to conflation because their connection was over MAX_QUEUE_BYTES (--slow-client conflate)', registers: r }),
    resumeDuration: new Histogram({ name: 'ws_resume_duration_seconds', help: 'time from a subscribe with a position to its last replayed message', buckets: LATENCY_BUCKETS, registers: r }),
  };
  // Every result's series exists from the start, at 0: a rate over it is 0, not "no data", on a gateway that never fetched.
  for (const result of JWKS_FETCH_RESULTS) metrics.jwksFetches.inc({ result }, 0);
  return metrics;
}
export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;

export function createPublisherMetrics(registry: Registry) {
  const r = [registry];
  return {
    published: new Counter({ name: 'publisher_messages_published_total', help: 'messages published, by kind', labelNames: ['kind'] as const, registers: r }),
    errors: new Counter({ name: 'publisher_publish_errors_total', help: 'publish attempts that failed (refused or timed out), retried or not', registers: r }),
    retries: new Counter({ name: 'publisher_publish_retries_total', help: 'publishes sent again with the same message id after a failed attempt, by kind', labelNames: ['kind'] as const, registers: r }),
    lost: new Counter({ name: 'publisher_messages_lost_total', help: 'messages given up after the retry bound (attempts or time): never acknowledged, by kind', labelNames: ['kind'] as const, registers: r }),
    publishLatency: new Histogram({ name: 'publisher_publish_latency_seconds', help: 'time from publish to broker acknowledgement', buckets: LATENCY_BUCKETS, registers: r }),
    targetRate: new Gauge({ name: 'publisher_rate_target', help: 'requested messages per second', registers: r }),
    actualRate: new Gauge({ name: 'publisher_rate_actual', help: 'measured messages per second over the last interval', registers: r }),
    publishing: new Gauge({ name: 'publisher_publishing', help: '1 while the simulator is publishing', registers: r }),
  };
}
export type PublisherMetrics = ReturnType<typeof createPublisherMetrics>;

export function createControlApiMetrics(registry: Registry) {
  const r = [registry];
  const refused = new Counter({ name: 'publisher_control_refused_total', help: 'control API requests refused, by reason: unauthorized, origin, media_type', labelNames: ['reason'] as const, registers: r });
  for (const reason of ['unauthorized', 'origin', 'media_type']) refused.inc({ reason }, 0);
  return { refused };
}
export type ControlApiMetrics = ReturnType<typeof createControlApiMetrics>;

/** A registry with Node's default metrics (event-loop lag, GC, heap) under `prefix`. */
export function createRegistry(prefix = ''): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix, eventLoopMonitoringPrecision: 10 });
  return registry;
}
