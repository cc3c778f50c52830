// The generated deploy files are what the code renders, the dashboards are
// well formed, and every metric they and the alert rules name exists: in the
// gateway's or the publisher's registry (src/observability/metrics.ts plus
// Node's default metrics), or from prometheus-nats-exporter, or `up`.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { createGatewayMetrics, createPublisherMetrics, createRegistry } from '../../src/observability/metrics.js';
import { alertRules } from '../../src/observability/dashboards/alert-rules.js';
import { logsDashboard } from '../../src/observability/dashboards/logs-dashboard.js';
import { metricsDashboard } from '../../src/observability/dashboards/metrics-dashboard.js';
import { LOKI_UID, PROMETHEUS_UID, queriesOf, renderDashboard } from '../../src/observability/dashboards/panel-builder.js';
import { generatedFiles, repoRoot, staleFiles } from '../../src/observability/dashboards/write-dashboards.js';

const root = repoRoot();

async function registryMetricNames(): Promise<Map<string, string>> {
  const registry = createRegistry();
  createGatewayMetrics(registry);
  createPublisherMetrics(registry);
  const metrics = await registry.getMetricsAsJSON();
  return new Map(metrics.map((m) => [m.name, String(m.type)]));
}

/** Metric names in a PromQL expression (every selector here has braces). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)].map((m) => m[1]!);
}

describe('generated dashboards and alert rules', () => {
  it('the committed files are exactly what `npm run dashboards` writes', () => {
    assert.deepEqual(staleFiles(root), [], 'run `npm run dashboards` and commit the result');
    for (const [path, content] of Object.entries(generatedFiles())) assert.equal(readFileSync(join(root, path), 'utf8'), content, path);
  });

  it('staleFiles notices a hand edit and a missing file (the check can fail)', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'odin-generated-'));
    try {
      for (const [path, content] of Object.entries(generatedFiles())) {
        mkdirSync(dirname(join(tmp, path)), { recursive: true });
        writeFileSync(join(tmp, path), content);
      }
      assert.deepEqual(staleFiles(tmp), []);
      const edited = 'deploy/grafana/dashboards/odin-metrics.json';
      writeFileSync(join(tmp, edited), readFileSync(join(tmp, edited), 'utf8').replace('"Active connections"', '"Active connexions"'));
      rmSync(join(tmp, 'deploy/prometheus/alerts.yml'));
      assert.deepEqual(staleFiles(tmp).sort(), [edited, 'deploy/prometheus/alerts.yml'].sort());
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  for (const spec of [metricsDashboard, logsDashboard]) {
    it(`${spec.uid}: unique panel ids, grid within 24 columns, no overlaps, a query per panel, provisioned datasource`, () => {
      const d = renderDashboard(spec) as { uid: string; panels: Array<{ id: number; type: string; gridPos: { x: number; y: number; w: number; h: number }; datasource?: { uid: string }; targets?: unknown[] }> };
      assert.equal(d.uid, spec.uid);
      const ids = d.panels.map((p) => p.id);
      assert.equal(new Set(ids).size, ids.length);
      const cells = new Set<string>();
      for (const p of d.panels) {
        const g = p.gridPos;
        assert.ok(g.x >= 0 && g.w > 0 && g.x + g.w <= 24, `panel ${p.id} overflows: ${JSON.stringify(g)}`);
        for (let x = g.x; x < g.x + g.w; x++) {
          for (let y = g.y; y < g.y + g.h; y++) {
            assert.ok(!cells.has(`${x},${y}`), `panel ${p.id} overlaps another at ${x},${y}`);
            cells.add(`${x},${y}`);
          }
        }
        if (p.type === 'row') continue;
        assert.ok((p.targets ?? []).length > 0, `panel ${p.id} has no query`);
        assert.ok([PROMETHEUS_UID, LOKI_UID].includes(p.datasource!.uid));
      }
    });
  }

  it('the datasource uids are the ones Grafana is provisioned with', () => {
    const ds = parseYaml(readFileSync(join(root, 'deploy/grafana/provisioning/datasources/datasources.yml'), 'utf8')) as { datasources: Array<{ uid: string; type: string }> };
    assert.deepEqual(
      ds.datasources.map((d) => `${d.type}:${d.uid}`).sort(),
      [`loki:${LOKI_UID}`, `prometheus:${PROMETHEUS_UID}`].sort(),
    );
  });

  it('the metrics dashboard has at least the reference\'s panels plus latency, resume, history, per-instance and publisher panels', () => {
    const titles = metricsDashboard.rows.flatMap((r) => r.panels.map((p) => p.title));
    for (const t of [
      'Active connections', 'Connections over time', 'Message rate', 'Bandwidth', 'CPU usage', 'Memory usage',
      'Event loop utilisation', 'Reliability', 'NATS status', 'Delivery latency percentiles', 'Resumes by result',
      'History messages replayed', 'Deliveries per instance', 'Delivery latency p99 per instance', 'Publish rate',
    ]) assert.ok(titles.includes(t), `no "${t}" panel`);
  });

  it('every metric named by a dashboard or an alert exists', async () => {
    const known = await registryMetricNames();
    const exists = (name: string): boolean => {
      if (name === 'up' || /^(gnatsd_|jetstream_)/.test(name)) return true;
      if (known.has(name)) return true;
      const base = name.replace(/_(bucket|sum|count)$/, '');
      return base !== name && known.get(base) === 'histogram';
    };
    const exprs = [...queriesOf(metricsDashboard).map((q) => q.expr), ...alertRules.map((r) => r.quantity)];
    const missing = [...new Set(exprs.flatMap(metricNames))].filter((n) => !exists(n));
    assert.deepEqual(missing, []);
    assert.equal(exists('ws_conections_active'), false);
  });

  it('every gateway metric of the registry is on the metrics dashboard', async () => {
    const registry = createRegistry();
    const gatewayNames = (await (createGatewayMetrics(registry), registry.getMetricsAsJSON())).map((m) => m.name).filter((n) => n.startsWith('ws_'));
    const used = new Set(queriesOf(metricsDashboard).flatMap((q) => metricNames(q.expr)).map((n) => n.replace(/_(bucket|sum|count)$/, '')));
    assert.deepEqual(gatewayNames.filter((n) => !used.has(n)), []);
  });
});
