// The logs dashboard's LogQL against what a real gateway really writes: a real
// `odin dev` process (gateway + memory broker + simulator) is driven into every
// event the dashboard filters on (connection closed, slow client, rate limited,
// abuse, at capacity, keepalive timeout, shutdown), its stdout is read line by
// line, and every query's stream selector and field filters are evaluated on it.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Socket } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { TestClient } from '../helpers/test-client.js';
import { repoRoot } from '../../src/observability/dashboards/write-dashboards.js';
import { alternatives, lineMatches, parseLogQL, type LogQuery } from './logql.js';
import { floodAndBadInput, fillToCapacity, resumeRound, sleep, slowClient, steadySubscribers, wrongPath, type ScenarioTarget } from './load-scenario.js';
import { startOdin, startOdinGateway, type OdinChild } from './odin-process.js';
import { loggedEvents } from './logged-events.js';

const root = repoRoot();
const MAX_CONNECTIONS = 8;

interface DashboardQuery {
  panel: string;
  expr: string;
  query: LogQuery;
}

function dashboardQueries(): DashboardQuery[] {
  const dashboard = JSON.parse(readFileSync(join(root, 'deploy/grafana/dashboards/odin-logs.json'), 'utf8')) as {
    panels: Array<{ type: string; title: string; targets?: Array<{ expr: string }> }>;
  };
  return dashboard.panels
    .filter((p) => p.type !== 'row')
    .flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr, query: parseLogQL(t.expr) })));
}

/** container_name of each compose service: the `container` label Alloy gives its stream. */
function composeContainers(): Record<string, string> {
  const compose = parseYaml(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, { container_name?: string }> };
  return Object.fromEntries(Object.entries(compose.services).map(([service, s]) => [service, s.container_name ?? service]));
}


describe('logs dashboard LogQL against a real gateway\'s log lines', () => {
  let gateway: { odin: OdinChild; port: number; httpUrl: string; wsUrl: string };
  let gatewayLines: string[] = [];
  let publisher: OdinChild | undefined;
  let publisherLines: string[] = [];
  const containers = composeContainers();
  const queries = dashboardQueries();

  before(async () => {
    gateway = await startOdinGateway('dev', [
      '--rate', '200',
      '--statistics-interval-ms', '1000',
      '--max-connections', String(MAX_CONNECTIONS),
      '--max-queue-bytes', '131072',
      '--ping-interval-ms', '500',
      '--log-level', 'info',
      '--instance-id', 'logs-test',
    ]);
    const target: ScenarioTarget = { wsUrl: gateway.wsUrl, httpUrl: gateway.httpUrl, maxConnections: MAX_CONNECTIONS };
    const steady = await steadySubscribers(target, 2);
    // A client whose socket stops reading and never answers pings: keepalive_timeout.
    const silent = await TestClient.connect(target.wsUrl);
    (silent.ws as unknown as { _socket: Socket })._socket.pause();
    await resumeRound(target);
    await floodAndBadInput(target, 150);
    await slowClient(target);
    assert.equal(await wrongPath(target), 404);
    await gateway.odin.waitForLine((l) => l.event === 'keepalive_timeout', 'keepalive_timeout', 5000);
    silent.ws.terminate();
    await sleep(300);
    await fillToCapacity(target);
    for (const c of steady) c.close();
    await Promise.all(steady.map((c) => c.waitClosed()));
    await gateway.odin.stop();
    gatewayLines = gateway.odin.stdout().split('\n').filter((l) => l.trim() !== '');

    // The publisher's lines: started, re-configured through its API, stopped.
    publisher = startOdin(['publisher', '--autostart', '--host', '127.0.0.1', '--port', '0', '--rate', '5', '--log-level', 'info', '--instance-id', 'logs-test-pub']);
    const port = Number((await publisher.waitForLine((l) => l.event === 'control_api_started', 'control_api_started')).port);
    // No CONTROL_TOKEN: the publisher made one up and printed it.
    const token = String((await publisher.waitForLine((l) => l.event === 'control_token_generated', 'control_token_generated')).control_token);
    const control = async (body: object): Promise<void> => {
      const res = await fetch(`http://127.0.0.1:${port}/control`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
      assert.equal(res.status, 200, await res.text());
    };
    await control({ action: 'configure', messagesPerSecond: 10 });
    await control({ action: 'stop' });
    await publisher.waitForLine((l) => l.event === 'publisher_stopped', 'publisher_stopped');
    await publisher.stop();
    publisherLines = publisher.stdout().split('\n').filter((l) => l.trim() !== '');
  });

  after(async () => {
    await gateway?.odin.stop();
    await publisher?.stop();
  });

  it('writes one JSON object per line, each with level, time, msg and an event', () => {
    assert.ok(gatewayLines.length > 10, `only ${gatewayLines.length} lines`);
    for (const line of gatewayLines) {
      const o = JSON.parse(line) as Record<string, unknown>;
      for (const field of ['level', 'time', 'msg', 'event', 'instance']) assert.ok(field in o, `no ${field} in ${line}`);
      assert.match(String(o.level), /^(trace|debug|info|warn|error|fatal)$/, line);
    }
  });

  it('produced every event the scenario is meant to produce', () => {
    const seen = new Set(gateway.odin.lines.map((l) => String(l.event)));
    for (const e of ['gateway_started', 'connection_closed', 'slow_client', 'rate_limited', 'abuse', 'at_capacity', 'keepalive_timeout', 'shutdown_started', 'shutdown_complete']) {
      assert.ok(seen.has(e), `no ${e} line; events seen: ${[...seen].join(', ')}`);
    }
  });

  it('parses every query of the logs dashboard', () => {
    assert.ok(queries.length >= 8, `only ${queries.length} queries`);
    for (const q of queries) assert.ok(q.query.selector.length > 0, `${q.panel}: empty selector`);
  });

  it('selects streams by container names that docker-compose really gives', () => {
    const names = Object.values(containers);
    for (const q of queries) {
      const hit = names.filter((name) => lineMatches({ selector: q.query.selector, stages: [] }, { container: name }, ''));
      assert.ok(hit.length > 0, `${q.panel}: ${q.expr} selects no container of docker-compose.yml (${names.join(', ')})`);
    }
    const gatewayContainers = Object.entries(containers).filter(([s]) => s.startsWith('gateway')).map(([, c]) => c);
    assert.equal(gatewayContainers.length, 2);
  });

  it('filters only on event names the source code really logs', () => {
    const known = loggedEvents();
    for (const q of queries) {
      for (const stage of q.query.stages) {
        if (stage.kind !== 'label' || stage.matcher.label !== 'event' || stage.matcher.value === '') continue;
        for (const alt of alternatives(stage.matcher.value)) {
          const ok = known.has(alt) || [...known].some((k) => (k.endsWith('*') ? new RegExp(`^${alt}$`).test(`${k.slice(0, -1)}connected`) : new RegExp(`^${alt}$`).test(k)));
          assert.ok(ok, `${q.panel}: event "${alt}" is logged nowhere in src/`);
        }
      }
    }
  });

  it('every query over gateway containers matches real gateway lines, on every field it filters', () => {
    const gatewayContainer = containers['gateway-1']!;
    let checked = 0;
    for (const q of queries) {
      if (!lineMatches({ selector: q.query.selector, stages: [] }, { container: gatewayContainer }, '')) continue;
      checked++;
      const hits = gatewayLines.filter((line) => lineMatches(q.query, { container: gatewayContainer }, line));
      assert.ok(hits.length > 0, `${q.panel}: ${q.expr} matches none of the gateway's ${gatewayLines.length} lines`);
      for (const stage of q.query.stages) {
        if (stage.kind !== 'label') continue;
        const { label, op, value } = stage.matcher;
        const withField = gatewayLines.filter((l) => label in (JSON.parse(l) as object));
        assert.ok(withField.length > 0, `${q.panel}: no gateway line has a "${label}" field`);
        if (op === '=') assert.ok(hits.some((l) => String((JSON.parse(l) as Record<string, unknown>)[label]) === value), `${q.panel}: ${label}="${value}" never occurs`);
      }
    }
    assert.ok(checked >= 5, `only ${checked} queries select gateway containers`);
  });

  it('every query over the publisher container matches real publisher lines', () => {
    const container = containers.publisher!;
    const seen = new Set(publisherLines.map((l) => String((JSON.parse(l) as Record<string, unknown>).event)));
    for (const e of ['publisher_started', 'publisher_configured', 'publisher_stopped']) assert.ok(seen.has(e), `no ${e}; publisher events: ${[...seen].join(', ')}`);
    let checked = 0;
    for (const q of queries) {
      if (!lineMatches({ selector: q.query.selector, stages: [] }, { container }, '')) continue;
      checked++;
      const hits = publisherLines.filter((line) => lineMatches(q.query, { container }, line));
      assert.ok(hits.length > 0, `${q.panel}: ${q.expr} matches none of the publisher's ${publisherLines.length} lines`);
    }
    assert.ok(checked >= 3, `only ${checked} queries select the publisher`);
    const priceUpdates = queries.find((x) => x.panel === 'Price updates')!;
    const shown = new Set(publisherLines.filter((l) => lineMatches(priceUpdates.query, { container }, l)).map((l) => String((JSON.parse(l) as Record<string, unknown>).event)));
    for (const e of ['publisher_started', 'publisher_configured', 'publisher_stopped']) assert.ok(shown.has(e), `Price updates misses ${e}`);
  });

  it('the delivery-problems panel sees each problem event the gateway really logged', () => {
    const q = queries.find((x) => x.panel.startsWith('Message broadcasts'));
    assert.ok(q, 'no Message broadcasts panel');
    const events = new Set(gatewayLines.filter((l) => lineMatches(q.query, { container: containers['gateway-1']! }, l)).map((l) => String((JSON.parse(l) as Record<string, unknown>).event)));
    for (const e of ['slow_client', 'rate_limited', 'at_capacity', 'abuse', 'keepalive_timeout']) assert.ok(events.has(e), `panel misses ${e}; it shows ${[...events].join(', ')}`);
  });

  it('a filter on a field the gateway does not write matches nothing (the check can fail)', () => {
    const wrong = parseLogQL('{container=~"odin-gateway-.+"} | json | evnt = "slow_client"');
    assert.equal(gatewayLines.filter((l) => lineMatches(wrong, { container: 'odin-gateway-1' }, l)).length, 0);
    const typo = parseLogQL('{container=~"odin-gateway-.+"} | json | event = "slow_clients"');
    assert.equal(gatewayLines.filter((l) => lineMatches(typo, { container: 'odin-gateway-1' }, l)).length, 0);
  });
});
