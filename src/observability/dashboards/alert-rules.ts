// Prometheus alert rules as code, rendered to deploy/prometheus/alerts.yml,
// with, per rule, a promtool unit-test case that makes it fire and one that
// keeps it quiet (rendered to deploy/prometheus/alerts.test.yml). Each rule's
// expression is `quantity op threshold`: the live test evaluates `quantity`
// against a real Prometheus scraping a real gateway (it must return data) and
// the whole expression (it must parse); promtool runs the cases.
import { JOBS } from './metrics-dashboard.js';

export interface SeriesFixture {
  series: string;
  /** promtool's expanding notation, e.g. '0+10x20'. */
  values: string;
}

export interface AlertCase {
  /** Samples, one per minute (the tests' interval). */
  series: SeriesFixture[];
  /** When to evaluate, e.g. '10m'. */
  at: string;
  /** Labels of the firing alert besides alertname and severity; absent = must not fire. */
  fires?: Record<string, string>;
}

export interface AlertRule {
  alert: string;
  /** The measured quantity: must return data on a live gateway. */
  quantity: string;
  op: '>' | '<' | '==' | '>=';
  threshold: number;
  for: string;
  severity: 'warning' | 'critical';
  summary: string;
  description: string;
  /** Anchor of the runbook section in docs/operations.md. */
  runbook: string;
  cases: AlertCase[];
}

const G = `job="${JOBS.gateway}"`;
const gwInstance = { instance: 'gateway-1:3004', job: JOBS.gateway };
const gw = (metric: string, extra = ''): string => `${metric}{job="${JOBS.gateway}",instance="gateway-1:3004"${extra ? `,${extra}` : ''}}`;

export const alertRules: AlertRule[] = [
  {
    alert: 'OdinGatewayNearCapacity',
    quantity: `ws_connections_active{${G}} / ws_connections_max{${G}}`,
    op: '>',
    threshold: 0.8,
    for: '5m',
    severity: 'warning',
    summary: 'Gateway {{ $labels.instance }} is above 80% of its connection limit',
    description: 'New connections will be refused with HTTP 503 at 100%. /health reports degraded from 80%.',
    runbook: 'odingatewaynearcapacity',
    cases: [
      { series: [{ series: gw('ws_connections_active'), values: '900x15' }, { series: gw('ws_connections_max'), values: '1000x15' }], at: '10m', fires: gwInstance },
      { series: [{ series: gw('ws_connections_active'), values: '500x15' }, { series: gw('ws_connections_max'), values: '1000x15' }], at: '10m' },
    ],
  },
  {
    alert: 'OdinGatewayAtCapacity',
    quantity: `ws_connections_active{${G}} / ws_connections_max{${G}}`,
    op: '>',
    threshold: 0.95,
    for: '1m',
    severity: 'critical',
    summary: 'Gateway {{ $labels.instance }} is at its connection limit',
    description: 'Upgrades are being refused (503, ws_connections_failed_total{reason="capacity"}). /health reports unhealthy from 95%.',
    runbook: 'odingatewayatcapacity',
    cases: [
      { series: [{ series: gw('ws_connections_active'), values: '1000x15' }, { series: gw('ws_connections_max'), values: '1000x15' }], at: '5m', fires: gwInstance },
      { series: [{ series: gw('ws_connections_active'), values: '900x15' }, { series: gw('ws_connections_max'), values: '1000x15' }], at: '5m' },
    ],
  },
  {
    alert: 'OdinGatewayMemoryHigh',
    quantity: `ws_memory_bytes{${G}} / ws_memory_limit_bytes{${G}}`,
    op: '>',
    threshold: 0.8,
    for: '5m',
    severity: 'warning',
    summary: 'Gateway {{ $labels.instance }} uses more than 80% of its memory budget',
    description: 'Resident memory is close to the budget the connection limit was derived from. /health reports degraded from 80%, unhealthy from 90%.',
    runbook: 'odingatewaymemoryhigh',
    cases: [
      { series: [{ series: gw('ws_memory_bytes'), values: '460000000x15' }, { series: gw('ws_memory_limit_bytes'), values: '536870912x15' }], at: '10m', fires: gwInstance },
      { series: [{ series: gw('ws_memory_bytes'), values: '100000000x15' }, { series: gw('ws_memory_limit_bytes'), values: '536870912x15' }], at: '10m' },
    ],
  },
  {
    alert: 'OdinGatewayCpuHigh',
    quantity: `ws_cpu_usage_percent{${G}}`,
    op: '>',
    threshold: 70,
    for: '10m',
    severity: 'warning',
    summary: 'Gateway {{ $labels.instance }} uses more than 70% CPU',
    description: 'The process is near the cores it has. /health reports degraded from 70%, unhealthy from 90%.',
    runbook: 'odingatewaycpuhigh',
    cases: [
      { series: [{ series: gw('ws_cpu_usage_percent'), values: '85x20' }], at: '15m', fires: gwInstance },
      { series: [{ series: gw('ws_cpu_usage_percent'), values: '85x5 20x15' }], at: '15m' },
    ],
  },
  {
    alert: 'OdinGatewayEventLoopLag',
    quantity: `nodejs_eventloop_lag_p99_seconds{${G}}`,
    op: '>',
    threshold: 0.1,
    for: '5m',
    severity: 'warning',
    summary: 'Gateway {{ $labels.instance }} event loop lags by more than 100 ms (p99)',
    description: 'Timers and socket callbacks run late: deliveries are delayed for every client of this instance.',
    runbook: 'odingatewayeventlooplag',
    cases: [
      { series: [{ series: gw('nodejs_eventloop_lag_p99_seconds'), values: '0.3x15' }], at: '10m', fires: gwInstance },
      { series: [{ series: gw('nodejs_eventloop_lag_p99_seconds'), values: '0.012x15' }], at: '10m' },
    ],
  },
  {
    alert: 'OdinGatewayEventLoopSaturated',
    quantity: `ws_event_loop_utilization{${G}}`,
    op: '>',
    threshold: 0.9,
    for: '5m',
    severity: 'warning',
    summary: 'Gateway {{ $labels.instance }} event loop is busy more than 90% of the time',
    description: 'The instance has no headroom left: add gateway processes or instances.',
    runbook: 'odingatewayeventloopsaturated',
    cases: [
      { series: [{ series: gw('ws_event_loop_utilization'), values: '0.97x15' }], at: '10m', fires: gwInstance },
      { series: [{ series: gw('ws_event_loop_utilization'), values: '0.4x15' }], at: '10m' },
    ],
  },
  {
    alert: 'OdinSlowClients',
    quantity: `sum by (job, instance) (rate(ws_slow_clients_disconnected_total{${G}}[5m])) * 60`,
    op: '>',
    threshold: 10,
    for: '10m',
    severity: 'warning',
    summary: 'Gateway {{ $labels.instance }} closes more than 10 slow clients a minute',
    description: 'Clients are closed with 4000 because their outbound queue passed MAX_QUEUE_BYTES. They resume without loss, but many at once means the network or the clients cannot keep up.',
    runbook: 'odinslowclients',
    cases: [
      { series: [{ series: gw('ws_slow_clients_disconnected_total'), values: '0+20x20' }], at: '15m', fires: gwInstance },
      { series: [{ series: gw('ws_slow_clients_disconnected_total'), values: '0+1x20' }], at: '15m' },
    ],
  },
  {
    alert: 'OdinSocketsRefused',
    quantity: `sum by (job, instance) (rate(ws_connections_failed_total{${G},reason=~"handshake_cap|fd_limit|accept_error"}[5m]))`,
    op: '>',
    threshold: 1,
    for: '10m',
    severity: 'warning',
    summary: 'Gateway {{ $labels.instance }} closes more than one socket a second at its handshake cap or open-file budget',
    description: 'Sockets are closed before any upgrade because too many are pending (MAX_PENDING_HANDSHAKES) or the open-file limit is reached: an attack holding sockets open, or a ulimit -n too low for the load.',
    runbook: 'odinsocketsrefused',
    cases: [
      { series: [{ series: `ws_connections_failed_total{job="${JOBS.gateway}",instance="gateway-1:3004",reason="fd_limit"}`, values: '0+300x20' }], at: '15m', fires: gwInstance },
      { series: [{ series: `ws_connections_failed_total{job="${JOBS.gateway}",instance="gateway-1:3004",reason="fd_limit"}`, values: '0+10x20' }], at: '15m' },
    ],
  },
  {
    alert: 'OdinNatsDown',
    quantity: `ws_nats_connected{${G}}`,
    op: '==',
    threshold: 0,
    for: '30s',
    severity: 'critical',
    summary: 'Gateway {{ $labels.instance }} has lost its NATS connection',
    description: 'No live messages reach this instance\'s clients; it keeps them connected and fills the gap from JetStream when NATS is back.',
    runbook: 'odinnatsdown',
    cases: [
      { series: [{ series: gw('ws_nats_connected'), values: '1 1 0x10' }], at: '5m', fires: gwInstance },
      { series: [{ series: gw('ws_nats_connected'), values: '1x10' }], at: '5m' },
    ],
  },
  {
    alert: 'OdinNatsConsumerBehind',
    quantity: `ws_nats_consumer_behind{${G}}`,
    op: '==',
    threshold: 1,
    for: '1m',
    severity: 'critical',
    summary: 'Gateway {{ $labels.instance }} live consumer is behind the NATS stream',
    description: 'The live consumer has not caught up with the stream within the lag window (ws_nats_consumer_lag_messages); the gateway restarts it and /health is unhealthy meanwhile.',
    runbook: 'odinnatsconsumerbehind',
    cases: [
      { series: [{ series: gw('ws_nats_consumer_behind'), values: '0 0 1x10' }], at: '5m', fires: gwInstance },
      { series: [{ series: gw('ws_nats_consumer_behind'), values: '0x10' }], at: '5m' },
    ],
  },
  {
    alert: 'OdinDeliveryLatencyHigh',
    quantity: `histogram_quantile(0.99, sum by (job, instance, le) (rate(ws_delivery_latency_seconds_bucket{${G}}[5m])))`,
    op: '>',
    threshold: 0.25,
    for: '5m',
    severity: 'warning',
    summary: 'Gateway {{ $labels.instance }} delivery latency p99 is above 250 ms',
    description: 'Publish-to-send latency (ws_delivery_latency_seconds) is high: check the event loop, CPU and NATS.',
    runbook: 'odindeliverylatencyhigh',
    cases: [
      {
        series: [
          { series: gw('ws_delivery_latency_seconds_bucket', 'le="0.1"'), values: '0+10x20' },
          { series: gw('ws_delivery_latency_seconds_bucket', 'le="0.5"'), values: '0+10x20' },
          { series: gw('ws_delivery_latency_seconds_bucket', 'le="1"'), values: '0+100x20' },
          { series: gw('ws_delivery_latency_seconds_bucket', 'le="+Inf"'), values: '0+100x20' },
        ],
        at: '15m',
        fires: gwInstance,
      },
      {
        series: [
          { series: gw('ws_delivery_latency_seconds_bucket', 'le="0.1"'), values: '0+100x20' },
          { series: gw('ws_delivery_latency_seconds_bucket', 'le="0.5"'), values: '0+100x20' },
          { series: gw('ws_delivery_latency_seconds_bucket', 'le="1"'), values: '0+100x20' },
          { series: gw('ws_delivery_latency_seconds_bucket', 'le="+Inf"'), values: '0+100x20' },
        ],
        at: '15m',
      },
    ],
  },
  {
    alert: 'OdinResumeFailures',
    quantity: `sum by (job, instance) (rate(ws_resumes_total{${G},result!="recovered"}[5m])) / sum by (job, instance) (rate(ws_resumes_total{${G}}[5m]))`,
    op: '>',
    threshold: 0.2,
    for: '10m',
    severity: 'warning',
    summary: 'More than 20% of resumes on {{ $labels.instance }} fail to recover',
    description: 'Clients resuming get recovered:false (history lost, other epoch) or HISTORY_UNAVAILABLE: they lost messages and must resync.',
    runbook: 'odinresumefailures',
    cases: [
      {
        series: [
          { series: gw('ws_resumes_total', 'result="recovered"'), values: '0+10x20' },
          { series: gw('ws_resumes_total', 'result="not_recovered"'), values: '0+10x20' },
        ],
        at: '15m',
        fires: gwInstance,
      },
      {
        series: [
          { series: gw('ws_resumes_total', 'result="recovered"'), values: '0+100x20' },
          { series: gw('ws_resumes_total', 'result="not_recovered"'), values: '0+1x20' },
        ],
        at: '15m',
      },
    ],
  },
  {
    alert: 'OdinBookChecksumMismatch',
    quantity: `sum by (job, instance) (increase(ws_book_checksum_mismatches_total{${G}}[5m]))`,
    op: '>',
    threshold: 0,
    for: '1m',
    severity: 'warning',
    summary: 'Book checksums from the publisher differ from the books {{ $labels.instance }} folds',
    description: "A publisher's checksum does not match the book folded from the stream: the publisher's book and the stream disagree (a lost or repeated publish, a publisher bug). Clients still verify the gateway's checksum; a snapshot was requested.",
    runbook: 'odinbookchecksummismatch',
    cases: [
      { series: [{ series: gw('ws_book_checksum_mismatches_total'), values: '0 0 0 1 2 3 3 3 3 3' }], at: '6m', fires: gwInstance },
      { series: [{ series: gw('ws_book_checksum_mismatches_total'), values: '0x15' }], at: '10m' },
    ],
  },
  {
    alert: 'OdinPublisherErrors',
    quantity: `sum by (job, instance) (rate(publisher_publish_errors_total{job="${JOBS.publisher}"}[5m]))`,
    op: '>',
    threshold: 0,
    for: '5m',
    severity: 'warning',
    summary: 'Publisher {{ $labels.instance }} fails to publish',
    description: 'Publishes to NATS fail (publisher_publish_errors_total): prices stop moving for every client.',
    runbook: 'odinpublishererrors',
    cases: [
      { series: [{ series: `publisher_publish_errors_total{job="${JOBS.publisher}",instance="publisher:3003"}`, values: '0+5x20' }], at: '15m', fires: { job: JOBS.publisher, instance: 'publisher:3003' } },
      { series: [{ series: `publisher_publish_errors_total{job="${JOBS.publisher}",instance="publisher:3003"}`, values: '0x20' }], at: '15m' },
    ],
  },
  {
    alert: 'OdinTargetDown',
    quantity: `up{job=~"${JOBS.gateway}|${JOBS.publisher}|${JOBS.nats}"}`,
    op: '==',
    threshold: 0,
    for: '1m',
    severity: 'critical',
    summary: 'Prometheus cannot scrape {{ $labels.job }} at {{ $labels.instance }}',
    description: 'The process is down, restarting, or unreachable from Prometheus.',
    runbook: 'odintargetdown',
    cases: [
      { series: [{ series: `up{job="${JOBS.nats}",instance="nats-exporter:7777"}`, values: '1 1 0x10' }], at: '5m', fires: { job: JOBS.nats, instance: 'nats-exporter:7777' } },
      { series: [{ series: `up{job="${JOBS.gateway}",instance="gateway-2:3004"}`, values: '1x10' }], at: '5m' },
    ],
  },
];

export const alertExpr = (r: AlertRule): string => `${r.quantity} ${r.op} ${r.threshold}`;

/** YAML double-quoted scalar: JSON string syntax is valid YAML. */
const q = (s: string): string => JSON.stringify(s);

export interface RenderAlertsOptions {
  /**
   * Every rule's `for:` capped at this duration (e.g. '2s'), for a lab or an
   * end-to-end test that cannot wait minutes: `npm run dashboards --
   * --alerts-for 2s --alerts-out FILE` (docs/operations.md). The shipped
   * alerts.yml never uses it.
   */
  forAtMost?: string;
}

/** Seconds of a Prometheus duration made of units (`1m`, `90s`, `1h30m`). */
export function durationSeconds(d: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
  const parts = [...d.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== d) throw new Error(`not a Prometheus duration: ${JSON.stringify(d)} (e.g. 30s, 5m, 1h30m)`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]!]!, 0);
}

export function renderAlertsYaml(rules: AlertRule[] = alertRules, options: RenderAlertsOptions = {}): string {
  const cap = options.forAtMost === undefined ? undefined : durationSeconds(options.forAtMost);
  const forOf = (r: AlertRule): string => (cap !== undefined && durationSeconds(r.for) > cap ? options.forAtMost! : r.for);
  const lines = [
    '# Odin alert rules. Generated from src/observability/dashboards/alert-rules.ts',
    '# by `npm run dashboards`; do not edit by hand. docs/operations.md says what to do',
    '# when each fires. Checked by promtool (check rules, test rules alerts.test.yml).',
    ...(options.forAtMost === undefined ? [] : [`# Lab rendering: every for: capped at ${options.forAtMost} (--alerts-for); not for production.`]),
    'groups:',
    '  - name: odin',
    '    rules:',
  ];
  for (const r of rules) {
    lines.push(
      `      - alert: ${r.alert}`,
      `        expr: ${q(alertExpr(r))}`,
      `        for: ${forOf(r)}`,
      '        labels:',
      `          severity: ${r.severity}`,
      '        annotations:',
      `          summary: ${q(r.summary)}`,
      `          description: ${q(r.description)}`,
      `          runbook: ${q(`docs/operations.md#${r.runbook}`)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Renders the summary template for the labels of a firing case. */
function expand(template: string, labels: Record<string, string>): string {
  return template.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_m, name: string) => labels[name] ?? '');
}

export function renderAlertTestsYaml(rules: AlertRule[] = alertRules): string {
  const lines = [
    '# promtool unit tests for alerts.yml: for every alert, one case that fires it',
    '# and one that must stay quiet. Generated from src/observability/dashboards/alert-rules.ts',
    '# by `npm run dashboards`. Run: promtool test rules deploy/prometheus/alerts.test.yml',
    'rule_files:',
    '  - alerts.yml',
    'evaluation_interval: 15s',
    'tests:',
  ];
  for (const r of rules) {
    r.cases.forEach((c, i) => {
      lines.push(`  # ${r.alert}: ${c.fires ? 'fires' : 'stays quiet'} (case ${i + 1})`, '  - interval: 1m', '    input_series:');
      for (const s of c.series) lines.push(`      - series: ${q(s.series)}`, `        values: ${q(s.values)}`);
      lines.push('    alert_rule_test:', `      - eval_time: ${c.at}`, `        alertname: ${r.alert}`);
      if (!c.fires) {
        lines.push('        exp_alerts: []');
        return;
      }
      const labels = { ...c.fires, severity: r.severity };
      lines.push('        exp_alerts:', '          - exp_labels:');
      for (const [k, v] of Object.entries(labels).sort(([a], [b]) => a.localeCompare(b))) lines.push(`              ${k}: ${q(v)}`);
      lines.push(
        '            exp_annotations:',
        `              summary: ${q(expand(r.summary, labels))}`,
        `              description: ${q(r.description)}`,
        `              runbook: ${q(`docs/operations.md#${r.runbook}`)}`,
      );
    });
  }
  return `${lines.join('\n')}\n`;
}
