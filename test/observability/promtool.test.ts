// promtool (Debian's prometheus package) checks the Prometheus config and the
// alert rules, and runs the unit tests that fire each alert.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { promtool } from '../helpers/prometheus-server.js';
import { alertRules } from '../../src/observability/dashboards/alert-rules.js';
import { repoRoot } from '../../src/observability/dashboards/write-dashboards.js';

const dir = join(repoRoot(), 'deploy', 'prometheus');

interface RuleTests {
  rule_files: string[];
  tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
}

describe('promtool', () => {
  it('check config: deploy/prometheus/prometheus.yml (and the rule files it names)', () => {
    const r = promtool(['check', 'config', 'prometheus.yml'], dir);
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /SUCCESS/);
  });

  it('check rules: deploy/prometheus/alerts.yml', () => {
    const r = promtool(['check', 'rules', 'alerts.yml'], dir);
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, new RegExp(`SUCCESS: ${alertRules.length} rules found`));
  });

  it('test rules: deploy/prometheus/alerts.test.yml passes', () => {
    const r = promtool(['test', 'rules', 'alerts.test.yml'], dir);
    assert.equal(r.status, 0, r.output);
  });

  it('alerts.test.yml fires every alert at least once and keeps each quiet at least once', () => {
    const tests = parseYaml(readFileSync(join(dir, 'alerts.test.yml'), 'utf8')) as RuleTests;
    const rules = parseYaml(readFileSync(join(dir, 'alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string }> }> };
    const names = rules.groups.flatMap((g) => g.rules.map((r) => r.alert));
    const cases = tests.tests.flatMap((t) => t.alert_rule_test);
    for (const name of names) {
      assert.ok(cases.some((c) => c.alertname === name && c.exp_alerts.length > 0), `no case fires ${name}`);
      assert.ok(cases.some((c) => c.alertname === name && c.exp_alerts.length === 0), `no case keeps ${name} quiet`);
    }
    for (const required of ['OdinGatewayNearCapacity', 'OdinGatewayMemoryHigh', 'OdinGatewayCpuHigh', 'OdinGatewayEventLoopLag', 'OdinSlowClients', 'OdinNatsDown', 'OdinDeliveryLatencyHigh', 'OdinResumeFailures', 'OdinTargetDown']) {
      assert.ok(names.includes(required), `no ${required} alert`);
    }
  });

  it('the unit tests fail when the rules never fire (they can fail)', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'odin-promtool-'));
    try {
      const broken = readFileSync(join(dir, 'alerts.yml'), 'utf8').replace(/^( {8}expr: ).*$/gm, '$1"vector(0) > 1"');
      writeFileSync(join(tmp, 'alerts.yml'), broken);
      copyFileSync(join(dir, 'alerts.test.yml'), join(tmp, 'alerts.test.yml'));
      const r = promtool(['test', 'rules', 'alerts.test.yml'], tmp);
      assert.notEqual(r.status, 0);
      for (const rule of alertRules) assert.match(r.output, new RegExp(`alertname: ${rule.alert},`), `${rule.alert} did not fail`);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
