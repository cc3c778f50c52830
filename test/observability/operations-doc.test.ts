// docs/operations.md stays in sync with the code: every metric of the gateway
// and publisher registries (the control API's included) (name, type, labels), every alert rule, every log
// event the source writes, and every npm script it documents.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createControlApiMetrics, createGatewayMetrics, createPublisherMetrics } from '../../src/observability/metrics.js';
import { alertRules } from '../../src/observability/dashboards/alert-rules.js';
import { repoRoot } from '../../src/observability/dashboards/write-dashboards.js';
import { loggedEvents } from './logged-events.js';

const root = repoRoot();
const doc = readFileSync(join(root, 'docs/operations.md'), 'utf8');

interface DocMetric {
  type: string;
  labels: string[];
}

/** Rows `| \`name\` | type | labels | meaning |` of the metric tables. */
function documentedMetrics(): Map<string, DocMetric> {
  const rows = new Map<string, DocMetric>();
  for (const m of doc.matchAll(/^\| `((?:ws|publisher)_[a-z_]+)` \| (counter|gauge|histogram|summary) \|\s*([^|]*?)\s*\|/gm)) {
    const labels = [...m[3]!.matchAll(/`([a-z_]+)`/g)].map((x) => x[1]!);
    rows.set(m[1]!, { type: m[2]!, labels });
  }
  return rows;
}

async function registryMetrics(): Promise<Map<string, DocMetric>> {
  const registry = new Registry();
  const gateway = createGatewayMetrics(registry);
  const publisher = createPublisherMetrics(registry);
  const control = createControlApiMetrics(registry);
  const out = new Map<string, DocMetric>();
  for (const m of await registry.getMetricsAsJSON()) out.set(m.name, { type: String(m.type), labels: [] });
  for (const metric of [...Object.values(gateway), ...Object.values(publisher), ...Object.values(control)]) {
    const labelNames = (metric as unknown as { labelNames: string[] }).labelNames ?? [];
    const name = (metric as unknown as { name: string }).name;
    out.get(name)!.labels = [...labelNames].filter((l) => l !== 'le');
  }
  return out;
}


describe('docs/operations.md', () => {
  it('documents every metric of the gateway and publisher registries, with its type and labels', async () => {
    const inCode = await registryMetrics();
    const inDoc = documentedMetrics();
    assert.ok(inCode.size >= 30, `${inCode.size} metrics`);
    assert.deepEqual([...inCode.keys()].filter((n) => !inDoc.has(n)), [], 'metrics missing from docs/operations.md');
    assert.deepEqual([...inDoc.keys()].filter((n) => !inCode.has(n)), [], 'docs/operations.md names metrics that do not exist');
    for (const [name, m] of inCode) {
      const d = inDoc.get(name)!;
      assert.equal(d.type, m.type, `${name}: documented as ${d.type}, is a ${m.type}`);
      assert.deepEqual([...d.labels].sort(), [...m.labels].sort(), `${name}: labels ${m.labels.join(',') || '(none)'} vs documented ${d.labels.join(',')}`);
    }
  });

  it('has a section for every alert, at the anchor its runbook annotation points to', () => {
    for (const rule of alertRules) {
      assert.match(doc, new RegExp(`^### ${rule.alert}$`, 'm'), `no section for ${rule.alert}`);
      assert.equal(rule.runbook, rule.alert.toLowerCase(), `${rule.alert}: runbook anchor must be the heading's`);
    }
    const sections = [...doc.matchAll(/^### (Odin[A-Za-z]+)$/gm)].map((m) => m[1]!);
    assert.deepEqual(sections.filter((s) => !alertRules.some((r) => r.alert === s)), [], 'sections for alerts that do not exist');
  });

  it('lists every log event the source writes', () => {
    const events = loggedEvents();
    assert.ok(events.size >= 30, `found only ${events.size} events: the scan is broken`);
    const table = doc.slice(doc.indexOf('### Events'));
    const missing = [...events].filter((e) => (e.endsWith('*') ? !table.includes(`\`${e.slice(0, -1)}`) : !table.includes(`\`${e}\``)));
    assert.deepEqual(missing, [], 'log events missing from docs/operations.md (### Events)');
  });

  it('documents npm scripts that exist', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const documented = [...doc.matchAll(/^\| `npm run ([a-z:]+)` \|/gm)].map((m) => m[1]!);
    assert.ok(documented.length >= 10);
    assert.deepEqual(documented.filter((s) => !(s in pkg.scripts)), [], 'documented scripts missing from package.json');
  });
});
