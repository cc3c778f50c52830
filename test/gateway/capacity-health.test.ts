// Capacity from the memory budget, /health in the reference's shape, and the
// metric names the reference's dashboards use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { maxConnectionsFor, memoryBudget } from '../../src/gateway/memory-budget.js';
import { healthReport } from '../../src/gateway/health-report.js';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { TestClient } from '../helpers/test-client.js';

test('the connection limit is derived from the memory budget unless set', () => {
  const budget = memoryBudget(512);
  assert.equal(budget.source, 'configured');
  assert.equal(maxConnectionsFor(0, budget, 16), 24_576); // (512-128) MiB / 16 KiB
  assert.equal(maxConnectionsFor(0, budget, 180), 2_184); // the reference's figure at 180 KiB
  assert.equal(maxConnectionsFor(7, budget, 16), 7);
  assert.equal(maxConnectionsFor(0, memoryBudget(130), 16), 128, 'budget is (limit - 128 MiB reserve)');
  assert.equal(maxConnectionsFor(0, memoryBudget(129), 16), 100, 'clamped to a minimum of 100');
});

test('at capacity the upgrade gets HTTP 503 and is counted', async () => {
  const h = await startTestGateway({ maxConnections: 2 });
  try {
    const a = await TestClient.connect(h.url);
    const b = await TestClient.connect(h.url);
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(h.url);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => reject(new Error('third connection was accepted')));
      ws.on('error', () => undefined);
    });
    assert.equal(status, 503);
    const text = await fetchMetrics(h.httpUrl);
    assert.equal(metricValue(text, 'ws_connections_failed_total', { reason: 'capacity' }), 1);
    assert.equal(metricValue(text, 'ws_connections_max'), 2);
    const health = (await (await fetch(`${h.httpUrl}/health`)).json()) as { checks: { capacity: { current: number; max: number; percentage: number } }; status: string; errors: string[] };
    assert.deepEqual(health.checks.capacity, { current: 2, max: 2, percentage: 100, healthy: false });
    assert.equal(health.status, 'unhealthy');
    a.close();
    b.close();
  } finally {
    await h.stop();
  }
});

test('/health has the reference shape', async () => {
  const h = await startTestGateway();
  try {
    const res = await fetch(`${h.httpUrl}/health`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as Record<string, unknown> & { checks: Record<string, Record<string, unknown>> };
    assert.equal(body.status, 'healthy');
    assert.equal(body.healthy, true);
    for (const key of ['nats', 'capacity', 'memory', 'cpu']) assert.ok(body.checks[key], key);
    assert.deepEqual(Object.keys(body.checks.memory!).sort(), ['healthy', 'limit_mb', 'percentage', 'used_mb']);
    assert.ok(Array.isArray(body.warnings) && Array.isArray(body.errors));
    assert.equal(typeof body.uptime, 'number');
  } finally {
    await h.stop();
  }
});

test('health thresholds: warn and error levels as in the reference', () => {
  const base = { brokerKind: 'nats' as const, brokerConnected: true, brokerLag: 0, brokerBehind: false, connections: 0, maxConnections: 100, rssBytes: 0, memoryLimitBytes: 100, cpuPercent: 0, eventLoopUtilization: 0, uptimeSec: 1, instanceId: 'x', shuttingDown: false };
  assert.equal(healthReport(base).status, 'healthy');
  assert.equal(healthReport({ ...base, connections: 80 }).status, 'degraded');
  assert.equal(healthReport({ ...base, connections: 95 }).status, 'unhealthy');
  assert.equal(healthReport({ ...base, rssBytes: 80 }).status, 'degraded');
  assert.equal(healthReport({ ...base, rssBytes: 90 }).status, 'unhealthy');
  assert.equal(healthReport({ ...base, cpuPercent: 70 }).status, 'degraded');
  assert.equal(healthReport({ ...base, cpuPercent: 90 }).status, 'unhealthy');
  const down = healthReport({ ...base, brokerConnected: false });
  assert.equal(down.status, 'unhealthy');
  assert.equal(down.checks.nats.healthy, false);
  assert.match(down.errors[0]!, /NATS/);
  const behind = healthReport({ ...base, brokerLag: 42, brokerBehind: true });
  assert.equal(behind.status, 'unhealthy', 'a live consumer behind the stream is unhealthy');
  assert.deepEqual([behind.checks.nats.healthy, behind.checks.nats.behind, behind.checks.nats.consumer_lag], [false, true, 42]);
  assert.equal(healthReport({ ...base, brokerLag: 42 }).status, 'healthy', 'lag within the window is normal');
});

test('/metrics exports the reference names plus latency, event loop, history and resume metrics', async () => {
  const h = await startTestGateway();
  try {
    const c = await TestClient.connect(h.url);
    await c.subscribe([{ channel: 'token.BTC.price', since: { seq: 0, epoch: h.broker.epoch() } }]);
    await h.broker.publish('token.BTC.price', { type: 'price:update' });
    await c.waitFor(() => c.data.length === 1);
    const text = await fetchMetrics(h.httpUrl);
    for (const name of [
      'ws_connections_total', 'ws_connections_failed_total', 'ws_messages_sent_total', 'ws_messages_received_total',
      'ws_bytes_sent_total', 'ws_bytes_received_total', 'ws_slow_clients_disconnected_total', 'ws_rate_limited_messages_total',
      'ws_replay_requests_total', 'ws_nats_messages_received_total', 'ws_connections_active', 'ws_connections_max',
      'ws_memory_bytes', 'ws_memory_limit_bytes', 'ws_cpu_usage_percent', 'ws_nats_connected',
      'ws_delivery_latency_seconds_bucket', 'ws_event_loop_utilization', 'nodejs_eventloop_lag_p99_seconds',
      'ws_resumes_total', 'ws_history_messages_replayed_total', 'ws_resume_duration_seconds_bucket',
    ]) {
      assert.match(text, new RegExp(`^${name}[ {]`, 'm'), name);
    }
    assert.equal(metricValue(text, 'ws_connections_active'), 1);
    assert.equal(metricValue(text, 'ws_replay_requests_total'), 1);
    assert.equal(metricValue(text, 'ws_resumes_total', { result: 'recovered' }), 1);
    assert.equal(metricValue(text, 'ws_delivery_latency_seconds_count'), 1);
    assert.equal(metricValue(text, 'ws_nats_connected'), 1);
    c.close();
  } finally {
    await h.stop();
  }
});

test('an address opening connections too fast gets HTTP 429, is counted, and may connect again after refill', async () => {
  const h = await startTestGateway({ connectRatePerIp: 2, connectBurstPerIp: 3 });
  const status = (): Promise<number> =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(h.url);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => {
        ws.close();
        resolve(101);
      });
      ws.on('error', () => undefined);
    });
  try {
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await status());
    assert.deepEqual(results, [101, 101, 101, 429, 429]);
    const text = await fetchMetrics(h.httpUrl);
    assert.equal(metricValue(text, 'ws_connections_failed_total', { reason: 'connection_rate' }), 2);
    await new Promise((r) => setTimeout(r, 600)); // 2/s refills one token in 500 ms
    assert.equal(await status(), 101);
  } finally {
    await h.stop();
  }
});
