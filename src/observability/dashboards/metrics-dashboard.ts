// The metrics dashboard: the reference's panels (active connections,
// connections over time, message rate, bandwidth, CPU, memory, event loop in
// place of goroutines, reliability, NATS status) plus delivery latency,
// resume and history, per-instance breakdowns, NATS server and publisher.
// Metric names come from src/observability/metrics.ts, Node's default
// metrics (prom-client) and prometheus-nats-exporter (gnatsd_*, jetstream_*).
import { PROMETHEUS, type DashboardSpec, type PanelSpec } from './panel-builder.js';

/** Prometheus job names, shared with deploy/prometheus/prometheus.yml (a test checks both agree). */
export const JOBS = { gateway: 'odin-gateway', publisher: 'odin-publisher', nats: 'nats' } as const;

/** Selector for the gateway instances picked in the dashboard's `instance` variable. */
function gw(extra = ''): string {
  return `{job="${JOBS.gateway}",instance=~"$instance"${extra ? `,${extra}` : ''}}`;
}
const PUB = `{job="${JOBS.publisher}"}`;
const NATS = `{job="${JOBS.nats}"}`;
const RATE = '$__rate_interval';

const rate = (metric: string, extra = ''): string => `rate(${metric}${gw(extra)}[${RATE}])`;
const quantile = (q: number, metric: string, by = ''): string =>
  `histogram_quantile(${q}, sum by (${by ? `${by}, ` : ''}le) (${rate(`${metric}_bucket`)}))`;

const overview: PanelSpec[] = [
  {
    title: 'Active connections',
    description: 'Open WebSocket connections over the selected instances (ws_connections_active).',
    kind: 'gauge',
    w: 5,
    h: 7,
    queries: [{ expr: `sum(ws_connections_active${gw()})`, legend: 'connections' }],
    thresholds: [[10000, 'orange']],
  },
  {
    title: 'Capacity used',
    description: 'Open connections as a share of the instances\' limit (ws_connections_max, derived from the memory budget). /health warns at 80%, fails at 95%.',
    kind: 'gauge',
    w: 5,
    h: 7,
    unit: 'percent',
    min: 0,
    max: 100,
    queries: [{ expr: `100 * sum(ws_connections_active${gw()}) / sum(ws_connections_max${gw()})`, legend: 'capacity' }],
    thresholds: [
      [80, 'orange'],
      [95, 'red'],
    ],
  },
  {
    title: 'NATS status',
    description: 'Broker connection of each gateway (ws_nats_connected: 1 connected, 0 down; the memory broker is always 1).',
    kind: 'stat',
    w: 5,
    h: 7,
    queries: [{ expr: `ws_nats_connected${gw()}`, legend: '{{instance}}' }],
    mappings: [
      { value: '0', text: 'DOWN', color: 'red' },
      { value: '1', text: 'UP', color: 'green' },
    ],
    thresholds: [[1, 'green']],
  },
  {
    title: 'Deliveries per second',
    description: 'Data messages written to clients per second, one per client per message (ws_messages_sent_total).',
    kind: 'stat',
    w: 4,
    h: 7,
    unit: 'ops',
    queries: [{ expr: `sum(${rate('ws_messages_sent_total')})`, legend: 'deliveries/s' }],
  },
  {
    title: 'Delivery latency p99',
    description: 'Publish-to-send latency, 99th percentile over all selected instances (ws_delivery_latency_seconds).',
    kind: 'stat',
    w: 5,
    h: 7,
    unit: 's',
    queries: [{ expr: quantile(0.99, 'ws_delivery_latency_seconds'), legend: 'p99' }],
    thresholds: [
      [0.1, 'orange'],
      [0.25, 'red'],
    ],
  },
];

const connections: PanelSpec[] = [
  {
    title: 'Connections over time',
    description: 'Open connections per instance and in total, with each instance\'s limit.',
    kind: 'timeseries',
    queries: [
      { expr: `sum(ws_connections_active${gw()})`, legend: 'total' },
      { expr: `ws_connections_active${gw()}`, legend: '{{instance}}' },
      { expr: `ws_connections_max${gw()}`, legend: 'limit {{instance}}' },
    ],
  },
  {
    title: 'Connections opened and closed',
    description: 'Accepted connections per second, and closes per second by close code name (ws_disconnections_total{code}).',
    kind: 'timeseries',
    unit: 'ops',
    queries: [
      { expr: `sum(${rate('ws_connections_total')})`, legend: 'opened' },
      { expr: `sum by (code) (${rate('ws_disconnections_total')})`, legend: 'closed {{code}}' },
    ],
  },
  {
    title: 'Refused upgrades',
    description: 'Upgrades refused and sockets closed before an upgrade, per second, by reason (capacity, connection_rate, shutting_down, not_found, origin, unauthorized; handshake_timeout, handshake_cap, fd_limit, accept_error, bad_request). docs/security.md.',
    kind: 'timeseries',
    unit: 'ops',
    queries: [{ expr: `sum by (reason) (${rate('ws_connections_failed_total')})`, legend: '{{reason}}' }],
  },
  {
    title: 'Handshakes in progress',
    description: 'Sockets accepted that have not sent a complete first request (ws_handshakes_pending, capped by MAX_PENDING_HANDSHAKES) and upgrades verifying their JWT (ws_upgrades_in_progress, counted against capacity).',
    kind: 'timeseries',
    queries: [
      { expr: `ws_handshakes_pending${gw()}`, legend: 'pending {{instance}}' },
      { expr: `ws_upgrades_in_progress${gw()}`, legend: 'verifying {{instance}}' },
    ],
  },
  {
    title: '/metrics scrapes and timer errors',
    description: '/metrics requests per second, rendered (at most one per METRICS_CACHE_MS) or served from the cache (ws_metrics_scrapes_total), and timer callbacks that threw (ws_timer_errors_total, should stay 0).',
    kind: 'timeseries',
    unit: 'ops',
    queries: [
      { expr: `sum by (result) (${rate('ws_metrics_scrapes_total')})`, legend: 'scrapes {{result}}' },
      { expr: `sum by (timer) (${rate('ws_timer_errors_total')})`, legend: 'timer errors {{timer}}' },
    ],
  },
  {
    title: 'Subscriptions',
    description: 'Active subscriptions per instance (ws_subscriptions_active).',
    kind: 'timeseries',
    queries: [{ expr: `ws_subscriptions_active${gw()}`, legend: '{{instance}}' }],
  },  {
    title: 'Server-Sent Events streams',
    description: 'Open SSE streams per instance (ws_sse_connections_active, part of ws_connections_active) and streams opened per second (ws_sse_connections_total). docs/sse.md.',
    kind: 'timeseries',
    queries: [
      { expr: `ws_sse_connections_active${gw()}`, legend: 'open {{instance}}' },
      { expr: `sum(${rate('ws_sse_connections_total')})`, legend: 'opened/s' },
    ],
  },
  {
    title: 'Deploys: draining and cluster workers',
    description: 'ws_draining is 1 while an instance drains after SIGTERM (asking its clients to move with 4005); ws_cluster_workers counts a --workers cluster\'s workers by state (starting, up, draining, restarting, down); 0 for a gateway without workers.',
    kind: 'timeseries',
    queries: [
      { expr: `ws_draining${gw()}`, legend: 'draining {{instance}}' },
      { expr: `max by (state) (ws_cluster_workers${gw()}) or on() vector(0)`, legend: 'workers {{state}}' },
    ],
  },
  {
    title: 'Conflated deliveries',
    description: 'Conflated messages sent per second (ws_conflated_messages_sent_total) and the messages they stood for that were skipped (ws_conflated_messages_skipped_total): conflate subscriptions and --slow-client conflate, whose switches of a slow client\'s subscriptions are counted in ws_slow_subscriptions_conflated_total.',
    kind: 'timeseries',
    unit: 'ops',
    queries: [
      { expr: `sum(${rate('ws_conflated_messages_sent_total')})`, legend: 'sent' },
      { expr: `sum(${rate('ws_conflated_messages_skipped_total')})`, legend: 'skipped' },
      { expr: `sum(${rate('ws_slow_subscriptions_conflated_total')})`, legend: 'slow subscriptions switched' },
    ],
  },
];

const throughput: PanelSpec[] = [
  {
    title: 'Message rate',
    description: 'Messages per second: from the broker, delivered to clients (one per client per message), frames written (a batch counts once) and client messages received.',
    kind: 'timeseries',
    unit: 'ops',
    queries: [
      { expr: `sum(${rate('ws_nats_messages_received_total')})`, legend: 'from broker' },
      { expr: `sum(${rate('ws_messages_sent_total')})`, legend: 'delivered' },
      { expr: `sum(${rate('ws_frames_sent_total')})`, legend: 'frames sent' },
      { expr: `sum(${rate('ws_messages_received_total')})`, legend: 'from clients' },
    ],
  },
  {
    title: 'Bandwidth',
    description: 'Bytes per second written to clients (frame headers included; compressed frames as sent), what the batch frames would have taken uncompressed, and bytes received from clients.',
    kind: 'timeseries',
    unit: 'Bps',
    queries: [
      { expr: `sum(${rate('ws_bytes_sent_total')})`, legend: 'sent' },
      { expr: `sum(${rate('ws_bytes_sent_uncompressed_total')})`, legend: 'sent if uncompressed' },
      { expr: `sum(${rate('ws_bytes_received_total')})`, legend: 'received' },
    ],
  },
  {
    title: 'Deliveries per instance',
    description: 'Data messages delivered per second, per instance.',
    kind: 'timeseries',
    unit: 'ops',
    queries: [{ expr: `sum by (instance) (${rate('ws_messages_sent_total')})`, legend: '{{instance}}' }],
  },
  {
    title: 'Messages per frame',
    description: 'Coalescing at work: data messages per WebSocket frame (1 = no batching).',
    kind: 'timeseries',
    queries: [{ expr: `sum(${rate('ws_messages_sent_total')}) / sum(${rate('ws_frames_sent_total')})`, legend: 'messages/frame' }],
  },
];

const latency: PanelSpec[] = [
  {
    title: 'Delivery latency percentiles',
    description: 'Publish-to-send latency (broker acceptance to frame written), from ws_delivery_latency_seconds; beside it the p99 of one fan-out pass (ws_flush_duration_seconds), its floor at scale.',
    kind: 'timeseries',
    unit: 's',
    queries: [
      { expr: quantile(0.5, 'ws_delivery_latency_seconds'), legend: 'p50' },
      { expr: quantile(0.9, 'ws_delivery_latency_seconds'), legend: 'p90' },
      { expr: quantile(0.99, 'ws_delivery_latency_seconds'), legend: 'p99' },
      { expr: quantile(0.999, 'ws_delivery_latency_seconds'), legend: 'p99.9' },
      { expr: quantile(0.99, 'ws_flush_duration_seconds'), legend: 'fan-out pass p99' },
    ],
  },
  {
    title: 'Delivery latency p99 per instance',
    description: 'The 99th percentile per instance: one slow instance stands out here.',
    kind: 'timeseries',
    unit: 's',
    queries: [{ expr: quantile(0.99, 'ws_delivery_latency_seconds', 'instance'), legend: '{{instance}}' }],
  },
];

const resume: PanelSpec[] = [
  {
    title: 'Resumes by result',
    description: 'Subscribes with a position per second, by outcome: recovered, not_recovered (history lost or other epoch), unavailable (broker error).',
    kind: 'timeseries',
    unit: 'ops',
    queries: [{ expr: `sum by (result) (${rate('ws_resumes_total')})`, legend: '{{result}}' }],
  },
  {
    title: 'Resume duration',
    description: 'Time from a subscribe with a position to its last replayed message (ws_resume_duration_seconds).',
    kind: 'timeseries',
    unit: 's',
    queries: [
      { expr: quantile(0.5, 'ws_resume_duration_seconds'), legend: 'p50' },
      { expr: quantile(0.99, 'ws_resume_duration_seconds'), legend: 'p99' },
    ],
  },
  {
    title: 'History messages replayed',
    description: 'Messages sent from history per second (resume replays and latest values on subscribe).',
    kind: 'timeseries',
    unit: 'ops',
    queries: [{ expr: `sum(${rate('ws_history_messages_replayed_total')})`, legend: 'replayed' }],
  },
];

const reliability: PanelSpec[] = [
  {
    title: 'Reliability',
    description: 'The reference\'s reliability panel: slow clients closed (4000), client messages dropped by the rate limit, and resume (replay) requests, per second.',
    kind: 'timeseries',
    unit: 'ops',
    queries: [
      { expr: `sum(${rate('ws_slow_clients_disconnected_total')})`, legend: 'slow clients closed' },
      { expr: `sum(${rate('ws_rate_limited_messages_total')})`, legend: 'rate limited' },
      { expr: `sum(${rate('ws_replay_requests_total')})`, legend: 'replay requests' },
    ],
  },
  {
    title: 'Client errors by code',
    description: 'Error replies sent to clients per second, by code (INVALID_JSON, RATE_LIMIT_EXCEEDED, FORBIDDEN, ...).',
    kind: 'timeseries',
    unit: 'ops',
    queries: [{ expr: `sum by (code) (${rate('ws_client_errors_total')})`, legend: '{{code}}' }],
  },
  {
    title: 'Tokens and ingest',
    description: 'Identity and ingest per second: in-band token refreshes by result (accepted, invalid, other_user), connections closed at token expiry (4003), JWKS URL fetches by result (anything but ok means tokens needing it are refused; backoff = a fetch not made after a recent failure), and broker messages dropped because their subject is not a valid channel name (should stay 0: someone publishes odd subjects on odin.>).',
    kind: 'timeseries',
    unit: 'ops',
    queries: [
      { expr: `sum by (result) (${rate('ws_token_refreshes_total')})`, legend: 'refresh {{result}}' },
      { expr: `sum(${rate('ws_tokens_expired_total')})`, legend: 'expired (4003)' },
      { expr: `sum by (result) (${rate('ws_jwks_fetches_total')})`, legend: 'JWKS fetch {{result}}' },
      { expr: `sum by (reason) (${rate('ws_ingest_dropped_total')})`, legend: 'ingest dropped {{reason}}' },
    ],
  },
  {
    title: 'Outbound queue',
    description: 'Bytes queued to clients, summed per instance (ws_outbound_queue_bytes, sampled by the keepalive sweep). Growth means clients read slower than they are sent to.',
    kind: 'timeseries',
    unit: 'bytes',
    queries: [{ expr: `ws_outbound_queue_bytes${gw()}`, legend: '{{instance}}' }],
  },
];

const books: PanelSpec[] = [
  {
    title: 'Book integrity',
    description: 'Per second: publisher checksums that differ from the folded book (should stay 0; alert OdinBookChecksumMismatch), book messages refused by the fold by reason, crossed books after a fold, snapshots asked of publishers (docs/books.md).',
    kind: 'timeseries',
    unit: 'ops',
    queries: [
      { expr: `sum(${rate('ws_book_checksum_mismatches_total')})`, legend: 'checksum mismatches' },
      { expr: `sum by (reason) (${rate('ws_book_messages_refused_total')})`, legend: 'refused {{reason}}' },
      { expr: `sum(${rate('ws_book_crossed_total')})`, legend: 'crossed' },
      { expr: `sum(${rate('ws_book_snapshot_requests_total')})`, legend: 'snapshots requested' },
    ],
  },
  {
    title: 'Books folded',
    description: 'Book channels each instance folds (ws_book_channels), and books rebuilt from history per second by result (snapshot, complete, unsynced).',
    kind: 'timeseries',
    unit: 'short',
    queries: [
      { expr: `ws_book_channels${gw()}`, legend: '{{instance}} books' },
      { expr: `sum by (result) (${rate('ws_book_rebuilds_total')})`, legend: 'rebuilt {{result}}' },
    ],
  },
];

const serverApi: PanelSpec[] = [
  {
    title: 'Server API requests',
    description: 'Server API requests per second (docs/server-api.md), by endpoint and code: OK, or the refusal (UNAUTHORIZED, INVALID_CHANNEL, BROKER_UNAVAILABLE, ...).',
    kind: 'timeseries',
    unit: 'reqps',
    queries: [{ expr: `sum by (endpoint, code) (${rate('ws_api_requests_total')})`, legend: '{{endpoint}} {{code}}' }],
  },
  {
    title: 'Server API publishing and kicks',
    description: 'Messages stored through POST /api/publish per second, and connections closed with 4004 because the API asked (from any instance).',
    kind: 'timeseries',
    unit: 'ops',
    queries: [
      { expr: `sum(${rate('ws_api_messages_published_total')})`, legend: 'messages published' },
      { expr: `sum(${rate('ws_api_disconnected_connections_total')})`, legend: 'connections closed (4004)' },
    ],
  },
  {
    title: 'Server API latency',
    description: 'Server API request time by endpoint, p99 (ws_api_request_duration_seconds): body read to answer; a publish includes the broker acknowledgement.',
    kind: 'timeseries',
    unit: 's',
    queries: [{ expr: quantile(0.99, 'ws_api_request_duration_seconds', 'endpoint'), legend: '{{endpoint}} p99' }],
  },
];

const resources: PanelSpec[] = [
  {
    title: 'CPU usage',
    description: 'Process CPU per instance, percent of the cores available to it (ws_cpu_usage_percent). /health warns at 70%, fails at 90%.',
    kind: 'timeseries',
    unit: 'percent',
    queries: [{ expr: `ws_cpu_usage_percent${gw()}`, legend: '{{instance}}' }],
  },
  {
    title: 'Memory usage',
    description: 'Resident memory per instance against its budget (cgroup limit or configured), and the V8 heap in use.',
    kind: 'timeseries',
    unit: 'bytes',
    queries: [
      { expr: `ws_memory_bytes${gw()}`, legend: 'rss {{instance}}' },
      { expr: `ws_memory_limit_bytes${gw()}`, legend: 'limit {{instance}}' },
      { expr: `nodejs_heap_size_used_bytes${gw()}`, legend: 'heap {{instance}}' },
    ],
  },
  {
    title: 'Event loop utilisation',
    description: 'In place of the reference\'s goroutines: the share of time each instance\'s event loop was busy (0..1). Near 1 the instance is saturated.',
    kind: 'timeseries',
    unit: 'percentunit',
    min: 0,
    max: 1,
    queries: [{ expr: `ws_event_loop_utilization${gw()}`, legend: '{{instance}}' }],
  },
  {
    title: 'Native frame unmasking',
    description: 'ws_native_bufferutil per instance: 1 when client frames are unmasked by native code (bufferutil\'s prebuilt binary, or Node), 0 when ws fell back to plain JavaScript (no prebuilt binary for the platform: slower, still correct).',
    kind: 'stat',
    queries: [{ expr: `ws_native_bufferutil${gw()}`, legend: '{{instance}}' }],
    mappings: [
      { value: '0', text: 'JavaScript', color: 'orange' },
      { value: '1', text: 'native', color: 'green' },
    ],
    thresholds: [[1, 'green']],
  },
  {
    title: 'Event loop lag',
    description: 'How late timers fire (prom-client\'s nodejs_eventloop_lag_*): p99 and mean per instance.',
    kind: 'timeseries',
    unit: 's',
    queries: [
      { expr: `nodejs_eventloop_lag_p99_seconds${gw()}`, legend: 'p99 {{instance}}' },
      { expr: `nodejs_eventloop_lag_mean_seconds${gw()}`, legend: 'mean {{instance}}' },
    ],
  },
  {
    title: 'Garbage collection',
    description: 'Seconds per second spent in GC, per instance and kind.',
    kind: 'timeseries',
    unit: 'percentunit',
    queries: [{ expr: `sum by (instance, kind) (${rate('nodejs_gc_duration_seconds_sum')})`, legend: '{{instance}} {{kind}}' }],
  },
];

const nats: PanelSpec[] = [
  {
    title: 'Broker connection per gateway',
    description: 'ws_nats_connected over time: a dip to 0 is a NATS outage seen by that gateway.',
    kind: 'timeseries',
    min: 0,
    max: 1,
    queries: [{ expr: `ws_nats_connected${gw()}`, legend: '{{instance}}' }],
  },
  {
    title: 'Live consumer lag per gateway',
    description: 'ws_nats_consumer_lag_messages: stream messages the live consumer has not delivered (sampled every 2 s). Brief spikes are messages in flight; a plateau that does not fall is a stuck consumer (ws_nats_consumer_behind, /health unhealthy).',
    kind: 'timeseries',
    min: 0,
    queries: [
      { expr: `ws_nats_consumer_lag_messages${gw()}`, legend: '{{instance}}' },
      { expr: `ws_nats_consumer_behind${gw()}`, legend: '{{instance}} behind (1 = /health unhealthy)' },
    ],
  },
  {
    title: 'Channels tracked and forgotten',
    description: 'ws_channels_tracked: channels whose history or latest value the gateway keeps (at most MAX_CHANNELS); forgotten per second: idle channels dropped to stay within it (ws_channels_evicted_total).',
    kind: 'timeseries',
    min: 0,
    queries: [
      { expr: `ws_channels_tracked${gw()}`, legend: '{{instance}} tracked' },
      { expr: `rate(ws_channels_evicted_total${gw()}[1m])`, legend: '{{instance}} forgotten/s' },
    ],
  },
  {
    title: 'NATS client connections',
    description: 'Clients connected to each NATS server (prometheus-nats-exporter, from /varz).',
    kind: 'timeseries',
    queries: [{ expr: `gnatsd_varz_connections${NATS}`, legend: '{{server_id}}' }],
  },
  {
    title: 'NATS messages',
    description: 'Messages per second into and out of each NATS server (/varz in_msgs, out_msgs).',
    kind: 'timeseries',
    unit: 'ops',
    queries: [
      { expr: `rate(gnatsd_varz_in_msgs${NATS}[${RATE}])`, legend: 'in {{server_id}}' },
      { expr: `rate(gnatsd_varz_out_msgs${NATS}[${RATE}])`, legend: 'out {{server_id}}' },
    ],
  },
  {
    title: 'NATS slow consumers and memory',
    description: 'Slow consumers NATS has seen (a gateway not keeping up with NATS) and the server\'s memory.',
    kind: 'timeseries',
    queries: [
      { expr: `gnatsd_varz_slow_consumers${NATS}`, legend: 'slow consumers {{server_id}}' },
      { expr: `gnatsd_varz_mem${NATS} / 1048576`, legend: 'memory MiB {{server_id}}' },
    ],
  },
  {
    title: 'JetStream history',
    description: 'Messages and bytes JetStream holds (the history that resume reads), from /jsz.',
    kind: 'timeseries',
    queries: [
      { expr: `jetstream_server_total_messages${NATS}`, legend: 'messages {{server_id}}' },
      { expr: `jetstream_server_total_message_bytes${NATS} / 1048576`, legend: 'MiB {{server_id}}' },
    ],
  },
];

const publisher: PanelSpec[] = [
  {
    title: 'Publishing',
    description: '1 while the market simulator publishes (publisher_publishing).',
    kind: 'stat',
    w: 6,
    queries: [{ expr: `publisher_publishing${PUB}`, legend: '{{instance}}' }],
    mappings: [
      { value: '0', text: 'STOPPED', color: 'orange' },
      { value: '1', text: 'PUBLISHING', color: 'green' },
    ],
    thresholds: [[1, 'green']],
  },
  {
    title: 'Publish rate',
    description: 'Requested and measured messages per second of the publisher.',
    kind: 'timeseries',
    w: 9,
    unit: 'ops',
    queries: [
      { expr: `publisher_rate_target${PUB}`, legend: 'target' },
      { expr: `publisher_rate_actual${PUB}`, legend: 'actual' },
    ],
  },
  {
    title: 'Published by kind',
    description: 'Messages published per second by kind (price, statistics, trade), and publish errors.',
    kind: 'timeseries',
    w: 9,
    unit: 'ops',
    queries: [
      { expr: `sum by (kind) (rate(publisher_messages_published_total${PUB}[${RATE}]))`, legend: '{{kind}}' },
      { expr: `sum(rate(publisher_publish_errors_total${PUB}[${RATE}]))`, legend: 'errors' },
    ],
  },
  {
    title: 'Publish latency',
    description: 'Time from publish to broker acknowledgement (publisher_publish_latency_seconds).',
    kind: 'timeseries',
    unit: 's',
    queries: [
      { expr: `histogram_quantile(0.5, sum by (le) (rate(publisher_publish_latency_seconds_bucket${PUB}[${RATE}])))`, legend: 'p50' },
      { expr: `histogram_quantile(0.99, sum by (le) (rate(publisher_publish_latency_seconds_bucket${PUB}[${RATE}])))`, legend: 'p99' },
    ],
  },
  {
    title: 'Publisher CPU and memory',
    description: 'The publisher process\'s CPU (seconds per second) and resident memory in MiB.',
    kind: 'timeseries',
    queries: [
      { expr: `rate(process_cpu_seconds_total${PUB}[${RATE}])`, legend: 'cpu cores' },
      { expr: `process_resident_memory_bytes${PUB} / 1048576`, legend: 'rss MiB' },
    ],
  },
];

export const metricsDashboard: DashboardSpec = {
  uid: 'odin-metrics',
  title: 'Odin gateway',
  description: 'Odin gateways, NATS and the publisher. Generated by src/observability/dashboards (npm run dashboards); do not edit the JSON by hand.',
  tags: ['odin', 'websocket', 'nats'],
  datasource: PROMETHEUS,
  refresh: '10s',
  timeFrom: 'now-30m',
  variables: [{ name: 'instance', label: 'Gateway instance', query: `label_values(ws_connections_active{job="${JOBS.gateway}"}, instance)` }],
  rows: [
    { title: 'Overview', panels: overview },
    { title: 'Connections', panels: connections },
    { title: 'Throughput', panels: throughput },
    { title: 'Delivery latency', panels: latency },
    { title: 'Resume and history', panels: resume },
    { title: 'Reliability', panels: reliability },
    { title: 'Books', panels: books },
    { title: 'Server API', panels: serverApi },
    { title: 'Resources', panels: resources },
    { title: 'NATS', panels: nats },
    { title: 'Publisher', panels: publisher },
  ],
};
