// Every PromQL expression of the metrics dashboard and of every alert rule,
// evaluated by a real Prometheus that scrapes a real stack under a small real
// load: nats-server (JetStream), two `odin gateway --nats` processes and
// `odin publisher --nats --autostart`, with WebSocket clients subscribing,
// resuming (recovered and not), flooding, sending bad input and one that stops
// reading. Each expression must parse and return data with a finite value.
// The only exception is the NATS-server panels, whose metrics come from
// prometheus-nats-exporter, which no package registry here ships: those must
// parse, and each metric they use is checked against the real nats-server's
// /varz and /jsz, from which the exporter derives its names.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { NatsServer } from '../helpers/nats-server.js';
import { startPrometheus, type PrometheusServer, type QueryResult } from '../helpers/prometheus-server.js';
import type { TestClient } from '../helpers/test-client.js';
import { alertExpr, alertRules } from '../../src/observability/dashboards/alert-rules.js';
import { JOBS } from '../../src/observability/dashboards/metrics-dashboard.js';
import { repoRoot } from '../../src/observability/dashboards/write-dashboards.js';
import { apiTraffic, floodAndBadInput, resumeRound, SCENARIO_API_KEY, sleep, slowClient, steadySubscribers, wrongPath, type ScenarioTarget } from './load-scenario.js';
import { startOdin, startOdinGateway, type OdinChild } from './odin-process.js';

const root = repoRoot();
/** What Grafana puts for `$__rate_interval` here: a window covering the whole short run. */
const RATE_WINDOW = '30s';

/** Metrics that only prometheus-nats-exporter produces (job "nats"). */
const EXPORTER_METRIC = /^(gnatsd_|jetstream_)/;

interface PanelQuery {
  panel: string;
  expr: string;
}

function dashboardQueries(): { queries: PanelQuery[]; variables: Array<{ name: string; definition: string }> } {
  const d = JSON.parse(readFileSync(join(root, 'deploy/grafana/dashboards/odin-metrics.json'), 'utf8')) as {
    panels: Array<{ type: string; title: string; targets?: Array<{ expr: string }> }>;
    templating: { list: Array<{ name: string; definition: string }> };
  };
  const queries = d.panels.filter((p) => p.type !== 'row').flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
  return { queries, variables: d.templating.list };
}

/** Grafana's substitutions for an instant query over the whole selection. */
function grafanaToPromQL(expr: string): string {
  return expr.replaceAll('$__rate_interval', RATE_WINDOW).replaceAll('$instance', '.*');
}

function metricNames(expr: string): string[] {
  return [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)].map((m) => m[1]!).filter((n) => !['by', 'sum', 'rate'].includes(n));
}

function hasFiniteValue(r: QueryResult): boolean {
  return r.result.some((s) => s.value !== undefined && Number.isFinite(Number(s.value[1])));
}

describe('dashboards and alerts against a real Prometheus scraping a real gateway stack', () => {
  let nats: NatsServer;
  const gateways: Array<{ odin: OdinChild; port: number; httpUrl: string; wsUrl: string }> = [];
  let publisher: OdinChild;
  let publisherPort = 0;
  let prom: PrometheusServer;
  const clients: TestClient[] = [];
  const results = new Map<string, QueryResult>();

  before(async () => {
    nats = await NatsServer.start();
    const gatewayArgs = (id: string): string[] => [
      '--nats', nats.url,
      '--nats-stream', 'ODINPROM',
      '--max-queue-bytes', '131072',
      '--ping-interval-ms', '1000',
      '--instance-id', id,
      '--log-level', 'info',
      '--api-key', SCENARIO_API_KEY,
    ];
    gateways.push(await startOdinGateway('gateway', gatewayArgs('gw-a')));
    gateways.push(await startOdinGateway('gateway', gatewayArgs('gw-b')));
    publisher = startOdin(['publisher', '--nats', nats.url, '--nats-stream', 'ODINPROM', '--autostart', '--host', '127.0.0.1', '--port', '0', '--rate', '200', '--statistics-interval-ms', '1000', '--instance-id', 'pub', '--log-level', 'info']);
    publisherPort = Number((await publisher.waitForLine((l) => l.event === 'control_api_started', 'publisher control API')).port);

    // The deployed Prometheus config, with this machine's targets and a 1 s interval.
    const config = parseYaml(readFileSync(join(root, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
      global: Record<string, string>;
      rule_files: string[];
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
    };
    config.global.scrape_interval = '1s';
    config.global.evaluation_interval = '1s';
    config.rule_files = config.rule_files.map((f) => join(root, 'deploy/prometheus', f));
    const local: Record<string, string[] | null> = {
      [JOBS.gateway]: gateways.map((g) => `127.0.0.1:${g.port}`),
      [JOBS.publisher]: [`127.0.0.1:${publisherPort}`],
      [JOBS.nats]: null, // prometheus-nats-exporter: not available here (see the header)
      prometheus: null, // filled below with Prometheus's own port
    };
    assert.deepEqual(config.scrape_configs.map((j) => j.job_name).sort(), Object.keys(local).sort(), 'deploy/prometheus/prometheus.yml jobs changed: update this test');
    config.scrape_configs = config.scrape_configs.filter((j) => local[j.job_name]).map((j) => ({ ...j, static_configs: [{ targets: local[j.job_name]! }] }));
    prom = await startPrometheus(stringifyYaml(config));
    await prom.waitForTargetsUp();

    // The load: steady subscribers on both instances, then every kind of trouble on the first.
    const [ga, gb] = gateways as [(typeof gateways)[0], (typeof gateways)[0]];
    const targetA: ScenarioTarget = { wsUrl: ga.wsUrl, httpUrl: ga.httpUrl, maxConnections: 1000 };
    const targetB: ScenarioTarget = { wsUrl: gb.wsUrl, httpUrl: gb.httpUrl, maxConnections: 1000 };
    clients.push(...(await steadySubscribers(targetA, 2)), ...(await steadySubscribers(targetB, 1)));
    const first = await resumeRound(targetA);
    assert.equal(first.recovered, true, 'a resume on a live stream must recover');
    assert.equal(first.notRecovered, false, 'a resume from an unknown epoch must not recover');
    await floodAndBadInput(targetA, 150);
    assert.equal(await wrongPath(targetA), 404);
    await slowClient(targetA);
    await apiTraffic(targetA);
    await apiTraffic(targetB);
    await resumeRound(targetB);
    await sleep(2500); // a few more scrapes, so every rate window has seen increases
    await resumeRound(targetA);
    await apiTraffic(targetA);
    await apiTraffic(targetB);
    await sleep(2500);

    const { queries } = dashboardQueries();
    const exprs = [...queries.map((q) => grafanaToPromQL(q.expr)), ...alertRules.flatMap((r) => [r.quantity, alertExpr(r)])];
    for (const expr of new Set(exprs)) results.set(expr, await prom.query(expr));
    if (process.env.ODIN_TEST_VERBOSE) {
      for (const [expr, r] of results) console.log(`${r.result.map((s) => Number(s.value?.[1]).toPrecision(3)).join(' ')}\t${expr}`);
    }
  });

  after(async () => {
    for (const c of clients) c.ws.terminate();
    await prom?.stop();
    await publisher?.stop();
    await Promise.all(gateways.map((g) => g.odin.stop()));
    await nats?.cleanup();
  });

  it('scrapes both gateways and the publisher', async () => {
    const data = await prom.api<{ activeTargets: Array<{ labels: Record<string, string>; health: string }> }>('targets');
    const up = data.activeTargets.filter((t) => t.health === 'up').map((t) => t.labels.job);
    assert.equal(up.filter((j) => j === JOBS.gateway).length, 2);
    assert.equal(up.filter((j) => j === JOBS.publisher).length, 1);
  });

  it('every metrics-dashboard query parses and returns data with a finite value', () => {
    const { queries } = dashboardQueries();
    assert.ok(queries.length >= 40, `only ${queries.length} queries`);
    const failures: string[] = [];
    for (const q of queries) {
      const expr = grafanaToPromQL(q.expr);
      const r = results.get(expr)!;
      if (r.status !== 'success') failures.push(`${q.panel}: ${expr}: ${r.error}`);
      else if (metricNames(expr).every((n) => EXPORTER_METRIC.test(n))) continue; // checked against /varz and /jsz below
      else if (!hasFiniteValue(r)) failures.push(`${q.panel}: ${expr}: ${r.result.length === 0 ? 'no data' : `only ${JSON.stringify(r.result.map((s) => s.value?.[1]))}`}`);
    }
    assert.deepEqual(failures, []);
  });

  it('only the exporter-fed NATS panels are exempt from returning data', () => {
    const { queries } = dashboardQueries();
    const exempt = queries.filter((q) => metricNames(q.expr).every((n) => EXPORTER_METRIC.test(n)));
    assert.ok(exempt.every((q) => q.expr.includes(`job="${JOBS.nats}"`)), 'an exempt query is not a NATS exporter query');
    assert.ok(exempt.length <= 8, `${exempt.length} exempt queries`);
    for (const q of exempt) assert.deepEqual(results.get(grafanaToPromQL(q.expr))!.result, [], `${q.expr} has data: the exporter job is not configured in this test`);
  });

  it('every alert rule parses, and the quantity it compares returns data', () => {
    const failures: string[] = [];
    for (const rule of alertRules) {
      const full = results.get(alertExpr(rule))!;
      if (full.status !== 'success') failures.push(`${rule.alert}: ${alertExpr(rule)}: ${full.error}`);
      const q = results.get(rule.quantity)!;
      if (q.status !== 'success' || !hasFiniteValue(q)) failures.push(`${rule.alert}: ${rule.quantity}: ${q.error ?? (q.result.length === 0 ? 'no data' : JSON.stringify(q.result))}`);
    }
    assert.deepEqual(failures, []);
  });

  it('Prometheus evaluates every rule of alerts.yml without error, and none fires on a healthy stack', async () => {
    let groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string; state: string; lastEvaluation: string }> }> = [];
    const deadline = Date.now() + 10_000;
    for (;;) {
      groups = (await prom.api<{ groups: typeof groups }>('rules')).groups;
      const rules = groups.flatMap((g) => g.rules);
      if (rules.length > 0 && rules.every((r) => !r.lastEvaluation.startsWith('0001'))) break;
      if (Date.now() > deadline) throw new Error('rules not evaluated');
      await sleep(250);
    }
    const rules = groups.flatMap((g) => g.rules);
    assert.deepEqual(rules.map((r) => r.name).sort(), alertRules.map((r) => r.alert).sort());
    assert.deepEqual(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`), []);
    // The load is small: no threshold should be near (resume failures are the
    // exception: a deliberate not_recovered resume is half of all resumes here,
    // but the rule needs 10 minutes to fire).
    assert.deepEqual(rules.filter((r) => r.state === 'firing').map((r) => r.name), []);
  });

  it('the dashboard variable finds both gateway instances', async () => {
    const { variables } = dashboardQueries();
    const v = variables.find((x) => x.name === 'instance')!;
    const m = /^label_values\((.+), (\w+)\)$/.exec(v.definition);
    assert.ok(m, v.definition);
    const values = await prom.api<string[]>(`label/${m[2]}/values?match[]=${encodeURIComponent(m[1]!)}`);
    assert.deepEqual(values.sort(), gateways.map((g) => `127.0.0.1:${g.port}`).sort());
  });

  it('a query on a misspelt metric returns nothing (the data check can fail)', async () => {
    const r = await prom.query(`sum(rate(ws_mesages_sent_total{job="${JOBS.gateway}"}[${RATE_WINDOW}]))`);
    assert.equal(r.status, 'success');
    assert.equal(hasFiniteValue(r), false);
  });

  it('the NATS exporter metrics the dashboard uses exist in the real nats-server\'s /varz and /jsz', async () => {
    const varz = (await (await fetch(`${nats.monitorUrl}/varz`)).json()) as Record<string, unknown>;
    const jsz = (await (await fetch(`${nats.monitorUrl}/jsz`)).json()) as Record<string, unknown>;
    // prometheus-nats-exporter: gnatsd_varz_<key> for each numeric top-level
    // /varz key; jetstream_server_total_messages and _total_message_bytes
    // from /jsz "messages" and "bytes" (collector/collector.go, collector/jsz.go).
    const jszFields: Record<string, string> = { jetstream_server_total_messages: 'messages', jetstream_server_total_message_bytes: 'bytes' };
    const { queries } = dashboardQueries();
    const used = new Set(queries.flatMap((q) => metricNames(q.expr)).filter((n) => EXPORTER_METRIC.test(n)));
    assert.ok(used.size >= 5, [...used].join(', '));
    for (const name of used) {
      if (name.startsWith('gnatsd_varz_')) {
        const key = name.slice('gnatsd_varz_'.length);
        assert.equal(typeof varz[key], 'number', `${name}: /varz has no numeric "${key}"`);
      } else {
        const field = jszFields[name];
        assert.ok(field, `${name}: not a metric this test knows the exporter to produce`);
        assert.equal(typeof jsz[field], 'number', `${name}: /jsz has no numeric "${field}"`);
      }
    }
    assert.ok(Number(jsz.messages) > 0, 'JetStream holds the published history');
  });
});
