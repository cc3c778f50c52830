// Alerts end to end: a real Prometheus with the project's alert rules (every
// `for:` capped through the documented `--alerts-for` of `npm run dashboards`,
// the rules otherwise as shipped) scrapes a real gateway process and sends to
// a real Alertmanager (Debian's), which posts to a webhook receiver in this
// test. The gateway is SIGKILLed: OdinTargetDown reaches the receiver, firing,
// with the gateway's instance and the runbook; the gateway started again on
// the same port: the receiver gets it resolved. Every wait is on the receiver.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { alertRules } from '../../src/observability/dashboards/alert-rules.js';
import { JOBS } from '../../src/observability/dashboards/metrics-dashboard.js';
import { repoRoot } from '../../src/observability/dashboards/write-dashboards.js';
import { startAlertmanager, type AlertmanagerServer } from '../helpers/alertmanager-server.js';
import { freePort, startPrometheus, type PrometheusServer } from '../helpers/prometheus-server.js';
import { startGatewayProcess, type GatewayProcess } from '../nats/gateway-process.js';

const root = repoRoot();
const WRITER = join(root, 'dist/src/observability/dashboards/write-dashboards.js');

interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** Alertmanager's webhook receiver: records every notification's alerts; waiters wake on each POST. */
class WebhookReceiver {
  readonly alerts: WebhookAlert[] = [];
  private readonly wakers: Array<() => void> = [];
  private constructor(
    readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<WebhookReceiver> {
    const holder: { receiver?: WebhookReceiver } = {};
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const payload = JSON.parse(body) as { alerts: WebhookAlert[] };
        holder.receiver!.alerts.push(...payload.alerts);
        res.end('ok');
        for (const w of holder.receiver!.wakers.splice(0)) w();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    holder.receiver = new WebhookReceiver(server, `http://127.0.0.1:${port}/alerts`);
    return holder.receiver;
  }

  /** Resolves with the first alert matching; the cap is a readiness cap, not a time bound. */
  async waitFor(match: (a: WebhookAlert) => boolean, what: string, capMs = 120_000): Promise<WebhookAlert> {
    const deadline = Date.now() + capMs;
    for (;;) {
      const hit = this.alerts.find(match);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`the receiver got no ${what}; it got: ${JSON.stringify(this.alerts.map((a) => [a.labels.alertname, a.status, a.labels.instance]))}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 1000);
        this.wakers.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

test('--alerts-for caps every for: in a lab copy and changes nothing else; the shipped rules keep theirs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'odin-alerts-'));
  try {
    const out = join(dir, 'alerts.yml');
    const r = spawnSync(process.execPath, [WRITER, '--alerts-for', '2s', '--alerts-out', out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    type Rules = { groups: Array<{ rules: Array<Record<string, unknown>> }> };
    const lab = parseYaml(readFileSync(out, 'utf8')) as Rules;
    const shipped = parseYaml(readFileSync(join(root, 'deploy/prometheus/alerts.yml'), 'utf8')) as Rules;
    assert.equal(lab.groups[0]!.rules.length, alertRules.length);
    for (const [i, rule] of lab.groups[0]!.rules.entries()) {
      const original = shipped.groups[0]!.rules[i]!;
      assert.equal(rule.for, '2s', `${String(rule.alert)}: for capped`);
      assert.notEqual(original.for, '2s', 'the shipped rule keeps its own for:');
      assert.deepEqual({ ...rule, for: original.for }, original, `${String(rule.alert)}: nothing else differs`);
    }
    const bad = spawnSync(process.execPath, [WRITER, '--alerts-for', 'soon', '--alerts-out', out], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--alerts-for: not a Prometheus duration: "soon"/);
    const shippedPath = spawnSync(process.execPath, [WRITER, '--alerts-for', '2s', '--alerts-out', join(root, 'deploy/prometheus/alerts.yml')], { encoding: 'utf8' });
    assert.equal(shippedPath.status, 2, 'the shipped file cannot be overwritten with a lab copy');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a killed gateway: OdinTargetDown goes from Prometheus through Alertmanager to a webhook, then resolves', { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'odin-alerts-'));
  const receiver = await WebhookReceiver.start();
  let alertmanager: AlertmanagerServer | undefined;
  let prometheus: PrometheusServer | undefined;
  let gateway: GatewayProcess | undefined;
  try {
    const rulesPath = join(dir, 'alerts.yml');
    const written = spawnSync(process.execPath, [WRITER, '--alerts-for', '2s', '--alerts-out', rulesPath], { encoding: 'utf8' });
    assert.equal(written.status, 0, written.stderr);

    alertmanager = await startAlertmanager(
      [
        'route:',
        '  receiver: test-webhook',
        "  group_by: ['alertname', 'instance']",
        '  group_wait: 1s',
        '  group_interval: 1s',
        '  repeat_interval: 1h',
        'receivers:',
        '  - name: test-webhook',
        '    webhook_configs:',
        `      - url: ${receiver.url}`,
        '        send_resolved: true',
        '',
      ].join('\n'),
    );

    const port = await freePort();
    gateway = await startGatewayProcess(['--port', String(port)]);
    const instance = `127.0.0.1:${port}`;
    prometheus = await startPrometheus(
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'rule_files:',
        `  - ${rulesPath}`,
        'alerting:',
        '  alertmanagers:',
        '    - static_configs:',
        `        - targets: ['127.0.0.1:${alertmanager.port}']`,
        'scrape_configs:',
        `  - job_name: ${JOBS.gateway}`,
        '    static_configs:',
        `      - targets: ['${instance}']`,
        '',
      ].join('\n'),
    );
    await prometheus.waitForTargetsUp(60_000);
    // Prometheus knows the rules and the Alertmanager before the kill.
    const rules = await prometheus.api<{ groups: Array<{ rules: Array<{ name: string }> }> }>('rules');
    assert.ok(rules.groups.flatMap((g) => g.rules).some((r) => r.name === 'OdinTargetDown'), 'OdinTargetDown is loaded');
    const ams = await prometheus.api<{ activeAlertmanagers: Array<{ url: string }> }>('alertmanagers');
    assert.equal(ams.activeAlertmanagers.length, 1, 'Prometheus sends to the Alertmanager');
    assert.equal(receiver.alerts.filter((a) => a.labels.alertname === 'OdinTargetDown').length, 0, 'nothing fired while the gateway was up');

    await gateway.kill('SIGKILL');
    const firing = await receiver.waitFor((a) => a.labels.alertname === 'OdinTargetDown' && a.status === 'firing' && a.labels.instance === instance, 'firing OdinTargetDown for the killed gateway');
    assert.equal(firing.labels.job, JOBS.gateway);
    assert.equal(firing.labels.severity, 'critical');
    assert.equal(firing.annotations.runbook, 'docs/operations.md#odintargetdown');
    assert.match(firing.annotations.summary ?? '', new RegExp(`cannot scrape ${JOBS.gateway} at ${instance.replaceAll('.', '\\.')}`));

    gateway = await startGatewayProcess(['--port', String(port)]);
    await receiver.waitFor((a) => a.labels.alertname === 'OdinTargetDown' && a.status === 'resolved' && a.labels.instance === instance, 'OdinTargetDown resolved after the restart');
  } finally {
    await gateway?.kill('SIGKILL');
    await prometheus?.stop();
    await alertmanager?.stop();
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
