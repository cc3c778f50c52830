// docker-compose.yml checked without a Docker engine: by the real Compose
// parser (`docker-compose config`) and against the Compose schema
// (deploy/schema/compose-spec.json), every file it mounts or builds from
// exists, and services, ports and names agree with the Prometheus config, the
// Grafana datasources, the Alloy config and the dashboards.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { gatewayOptionTable } from '../../src/config/gateway-options.js';
import { CONTAINERS } from '../../src/observability/dashboards/logs-dashboard.js';
import { JOBS } from '../../src/observability/dashboards/metrics-dashboard.js';
import { repoRoot } from '../../src/observability/dashboards/write-dashboards.js';
import { natsServerBinary } from '../helpers/nats-server.js';

const root = repoRoot();

/**
 * Runs docker-compose (Debian's 1.29, or DOCKER_COMPOSE_BIN): `config` parses,
 * interpolates and validates without a Docker engine. Missing, it fails with
 * the install hint rather than skipping, so no check silently disappears.
 */
function dockerCompose(args: string[]): { status: number | null; output: string } {
  const bin = process.env.DOCKER_COMPOSE_BIN ?? 'docker-compose';
  const r = spawnSync(bin, args, { encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    assert.fail(`${bin} was not found: install it with bash .ci/install-system-deps.sh (Debian's docker-compose) or set DOCKER_COMPOSE_BIN`);
  }
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string } | string;
  container_name?: string;
  command?: string[] | string;
  environment?: Record<string, string>;
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  deploy?: { resources?: { limits?: { cpus?: string; memory?: string } } };
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
/** Compose resolves YAML merge keys (`<<: *anchor`); so does this parse. */
const compose = parseYaml(composeText, { merge: true }) as Compose;

/**
 * The schema annotates sub-schemas with draft-04 `id` ("#/properties/services"),
 * which Ajv refuses; they carry no validation, so they are dropped. Keys of
 * `properties`-like maps are names, not keywords, and are kept.
 */
function dropLegacyIds(node: unknown, parentKey: string): void {
  if (Array.isArray(node)) return node.forEach((n) => dropLegacyIds(n, ''));
  if (typeof node !== 'object' || node === null) return;
  const obj = node as Record<string, unknown>;
  const isNameMap = ['properties', 'patternProperties', 'definitions'].includes(parentKey);
  if (!isNameMap && typeof obj.id === 'string') delete obj.id;
  for (const [k, v] of Object.entries(obj)) dropLegacyIds(v, isNameMap ? '' : k);
}

function validator(): ValidateFunction {
  const schema = JSON.parse(readFileSync(join(root, 'deploy/schema/compose-spec.json'), 'utf8')) as Record<string, unknown>;
  delete schema.$schema; // draft 2019-09 URI; the keywords it uses are draft-07's
  dropLegacyIds(schema, '');
  const ajv = new Ajv({ strict: false, allErrors: true });
  // The formats the schema names, as Compose reads them.
  ajv.addFormat('duration', /^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$/);
  ajv.addFormat('ports', /^(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp))?$|^[\d.]+:\d+:\d+$/);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp))?$/);
  return ajv.compile(schema);
}

/** Container-side port of a "host:container" mapping. */
const containerPort = (mapping: string): number => Number(mapping.split(':').at(-1)!.split('/')[0]);
const hostPort = (mapping: string): number => Number(mapping.split(':').at(-2));

function prometheusTargets(): Record<string, string[]> {
  const config = parseYaml(readFileSync(join(root, 'deploy/prometheus/prometheus.yml'), 'utf8')) as { scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }> };
  return Object.fromEntries(config.scrape_configs.map((j) => [j.job_name, j.static_configs.flatMap((s) => s.targets)]));
}

/** The port a service listens on inside its container. */
function listensOn(name: string): number[] {
  const s = compose.services[name]!;
  const ports = [...(s.ports ?? []).map(containerPort), ...(s.expose ?? []).map(Number)];
  if (s.environment?.PORT) ports.push(Number(s.environment.PORT));
  return ports;
}

describe('docker-compose.yml', () => {
  it('is valid against the Compose schema', () => {
    const validate = validator();
    const ok = validate(compose);
    assert.ok(ok, JSON.stringify(validate.errors, null, 2));
  });

  it('the schema check rejects a broken file (it can fail)', () => {
    const validate = validator();
    const broken = structuredClone(compose) as unknown as { services: Record<string, Record<string, unknown>> };
    broken.services['gateway-1']!.helthcheck = { test: ['CMD', 'true'] };
    broken.services.nats!.ports = 4222;
    assert.equal(validate(broken), false);
    const paths = (validate.errors ?? []).map((e) => e.instancePath);
    assert.ok(paths.some((p) => p.startsWith('/services/gateway-1')), JSON.stringify(validate.errors));
    assert.ok(paths.some((p) => p.startsWith('/services/nats')), JSON.stringify(validate.errors));
  });

  it('has the stack: NATS with JetStream, two gateways, publisher, exporter, Prometheus 3, Grafana 12, Loki 3, Alloy', () => {
    const s = compose.services;
    assert.deepEqual(Object.keys(s).sort(), ['alloy', 'gateway-1', 'gateway-2', 'grafana', 'loki', 'nats', 'nats-exporter', 'prometheus', 'publisher'].sort());
    assert.match(s.nats!.image!, /^nats:2\.12/);
    assert.match(s.prometheus!.image!, /^prom\/prometheus:v3\./);
    assert.match(s.grafana!.image!, /^grafana\/grafana:12\./);
    assert.match(s.loki!.image!, /^grafana\/loki:3\./);
    assert.match(s.alloy!.image!, /^grafana\/alloy:/);
    assert.match(s['nats-exporter']!.image!, /prometheus-nats-exporter/);
    const natsConf = readFileSync(join(root, 'deploy/nats/nats.conf'), 'utf8');
    assert.match(natsConf, /^jetstream\s*\{/m);
    assert.match(natsConf, /^port: 4222$/m);
    assert.match(natsConf, /^http_port: 8222$/m);
  });

  it('deploy/nats/nats.conf is valid for the real nats-server (-t)', () => {
    const bin = natsServerBinary();
    // The passwords come from the environment, as compose passes them (`${VAR:-default}` resolved as compose does without .env).
    const resolved = Object.entries(compose.services.nats!.environment!).map(([k, v]) => [k, v.replace(/\$\{\w+:-([^}]*)\}/g, '$1')]);
    const env = { ...process.env, ...Object.fromEntries(resolved) };
    const r = spawnSync(bin, ['-c', join(root, 'deploy/nats/nats.conf'), '-t'], { encoding: 'utf8', env });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    // And without them it refuses to start: no silently open NATS.
    const bare = spawnSync(bin, ['-c', join(root, 'deploy/nats/nats.conf'), '-t'], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    assert.notEqual(bare.status, 0);
  });

  it('publishes only the gateways (all interfaces), Prometheus and Grafana (loopback) on the host', () => {
    const published = (name: string): string[] => compose.services[name]!.ports ?? [];
    assert.deepEqual(published('gateway-1'), ['3004:3004']);
    assert.deepEqual(published('gateway-2'), ['3005:3004']);
    assert.deepEqual(published('prometheus'), ['127.0.0.1:9091:9090']);
    assert.deepEqual(published('grafana'), ['127.0.0.1:3010:3000']);
    const others = Object.entries(compose.services).filter(([name]) => !['gateway-1', 'gateway-2', 'prometheus', 'grafana'].includes(name));
    for (const [name, s] of others) assert.deepEqual(s.ports ?? [], [], `${name} publishes ${JSON.stringify(s.ports)} on the host`);
    const all = Object.values(compose.services).flatMap((s) => (s.ports ?? []).map(hostPort));
    assert.equal(new Set(all).size, all.length, 'a host port is published twice');
  });

  it('the real Compose parser accepts it (docker-compose config, no Docker engine needed)', () => {
    const r = dockerCompose(['-f', join(root, 'docker-compose.yml'), 'config', '-q']);
    assert.equal(r.status, 0, r.output);
  });

  it('the Compose parser rejects a broken file (it can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'odin-compose-'));
    try {
      const file = join(dir, 'docker-compose.yml');
      writeFileSync(file, composeText.replace(/^services:\n/m, 'services:\n  broken:\n    image: nats\n    ports: 4222\n'));
      const r = dockerCompose(['-f', file, 'config', '-q']);
      assert.notEqual(r.status, 0, 'a service with `ports: 4222` (not a list) passed');
      assert.match(r.output, /broken/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('NATS requires credentials: each service connects as its own user, with the password NATS expects', () => {
    const nats = compose.services.nats!;
    assert.ok((nats.volumes ?? []).some((v) => v.startsWith('./deploy/nats/auth.conf:/etc/nats/auth.conf')), 'auth.conf is not mounted next to nats.conf');
    assert.match(readFileSync(join(root, 'deploy/nats/nats.conf'), 'utf8'), /^include \.\/auth\.conf$/m);
    const auth = readFileSync(join(root, 'deploy/nats/auth.conf'), 'utf8');
    for (const [name, user, variable] of [
      ['gateway-1', 'gateway', 'ODIN_NATS_GATEWAY_PASSWORD'],
      ['gateway-2', 'gateway', 'ODIN_NATS_GATEWAY_PASSWORD'],
      ['publisher', 'publisher', 'ODIN_NATS_PUBLISHER_PASSWORD'],
    ] as const) {
      const env = compose.services[name]!.environment!;
      assert.equal(env.NATS_USER, user, name);
      assert.equal(env.NATS_PASSWORD, nats.environment![variable], `${name}: NATS_PASSWORD is not the ${variable} NATS is given`);
      assert.match(auth, new RegExp(`user: ${user}, password: \\$${variable}`));
    }
    // The publisher's control API needs a token; compose passes ODIN_CONTROL_TOKEN.
    assert.match(compose.services.publisher!.environment!.CONTROL_TOKEN!, /ODIN_CONTROL_TOKEN/);
  });

  it('every file or folder it mounts or builds from exists', () => {
    const missing: string[] = [];
    for (const [name, s] of Object.entries(compose.services)) {
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (source.startsWith('./') && !existsSync(join(root, source))) missing.push(`${name}: ${source}`);
        else if (!source.startsWith('./') && !source.startsWith('/') && !(compose.volumes && source in compose.volumes)) missing.push(`${name}: named volume ${source} not declared`);
      }
      if (s.build) {
        const b = typeof s.build === 'string' ? { context: s.build } : s.build;
        if (!existsSync(join(root, b.context, b.dockerfile ?? 'Dockerfile'))) missing.push(`${name}: ${b.context}/${b.dockerfile ?? 'Dockerfile'}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('Prometheus scrape targets are compose services on the ports they listen on', () => {
    const targets = prometheusTargets();
    assert.deepEqual(targets[JOBS.gateway]!.sort(), ['gateway-1:3004', 'gateway-2:3004']);
    assert.deepEqual(targets[JOBS.publisher], ['publisher:3003']);
    for (const [job, list] of Object.entries(targets)) {
      for (const target of list) {
        const [host, port] = target.split(':') as [string, string];
        if (host === 'localhost') continue; // Prometheus itself
        assert.ok(compose.services[host], `${job}: ${host} is not a compose service`);
        assert.ok(listensOn(host).includes(Number(port)), `${job}: ${host} does not listen on ${port} (it has ${listensOn(host).join(', ')})`);
      }
    }
    // The exporter reads the NATS monitoring port.
    const exporterCommand = compose.services['nats-exporter']!.command as string[];
    assert.ok(exporterCommand.includes('http://nats:8222'));
    assert.ok(exporterCommand.includes('-varz') && exporterCommand.some((a) => a.startsWith('-jsz')), 'the dashboard needs -varz and -jsz');
    assert.equal(exporterCommand[exporterCommand.indexOf('-port') + 1], targets[JOBS.nats]![0]!.split(':')[1]);
  });

  it('gateways and publisher run the odin CLI against the nats service, on the ports their healthchecks probe', () => {
    for (const name of ['gateway-1', 'gateway-2', 'publisher']) {
      const s = compose.services[name]!;
      const command = s.command as string[];
      assert.equal(command[0], name === 'publisher' ? 'publisher' : 'gateway');
      assert.equal(command[command.indexOf('--nats') + 1], 'nats://nats:4222');
      const port = Number(s.environment!.PORT);
      // Gateways probe liveness: /health is 503 when full, and a full gateway must not be restarted.
      const probe = name === 'publisher' ? 'health' : 'livez';
      assert.ok(s.healthcheck!.test.join(' ').includes(`127.0.0.1:${port}/${probe}`), `${name}: healthcheck does not probe ${port}/${probe}`);
      assert.ok(listensOn(name).includes(port));
      assert.equal(s.depends_on?.nats?.condition, 'service_healthy');
      if (name === 'publisher') assert.ok(command.includes('--autostart'));
    }
    assert.equal(Number(compose.services['gateway-1']!.environment!.PORT), gatewayOptionTable.port.default);
    assert.notEqual(compose.services['gateway-1']!.environment!.INSTANCE_ID, compose.services['gateway-2']!.environment!.INSTANCE_ID);
  });

  it('has the reference\'s resource limits and health checks', () => {
    const limits = (name: string): string => {
      const l = compose.services[name]!.deploy?.resources?.limits;
      return `${l?.cpus}/${l?.memory}`;
    };
    assert.equal(limits('gateway-1'), '2/512M');
    assert.equal(limits('gateway-2'), '2/512M');
    assert.equal(limits('publisher'), '0.5/128M');
    assert.equal(limits('nats'), '1/256M');
    assert.equal(limits('prometheus'), '1/512M');
    assert.equal(limits('grafana'), '0.5/256M');
    for (const name of ['nats', 'gateway-1', 'gateway-2', 'publisher', 'prometheus', 'grafana']) {
      assert.ok(compose.services[name]!.healthcheck?.test.length, `${name} has no healthcheck`);
    }
  });

  it('container names are what the logs dashboard selects on', () => {
    const name = (s: string): string => compose.services[s]!.container_name!;
    const gatewayPattern = new RegExp(`^(?:${CONTAINERS.gateways})$`);
    assert.ok(gatewayPattern.test(name('gateway-1')) && gatewayPattern.test(name('gateway-2')));
    assert.ok(!gatewayPattern.test(name('publisher')));
    assert.equal(name('publisher'), CONTAINERS.publisher);
    assert.equal(name('nats'), CONTAINERS.nats);
  });

  it('Alloy labels streams by container name and pushes to the loki service', () => {
    const alloy = readFileSync(join(root, 'deploy/alloy/config.alloy'), 'utf8');
    assert.match(alloy, /source_labels = \["__meta_docker_container_name"\]\s+regex\s+= "\/\(\.\*\)"\s+target_label\s+= "container"/);
    const url = /url = "http:\/\/([\w-]+):(\d+)\/loki\/api\/v1\/push"/.exec(alloy);
    assert.ok(url, 'no loki.write endpoint');
    assert.ok(compose.services[url[1]!], `${url[1]} is not a service`);
    const loki = parseYaml(readFileSync(join(root, 'deploy/loki/loki-config.yml'), 'utf8')) as { server: { http_listen_port: number } };
    assert.equal(Number(url[2]), loki.server.http_listen_port);
    assert.ok(listensOn(url[1]!).includes(Number(url[2])));
    assert.ok((compose.services.alloy!.volumes ?? []).some((v) => v.startsWith('/var/run/docker.sock:')), 'alloy needs the Docker socket');
    // Every block the components reference is defined.
    for (const ref of alloy.matchAll(/= \[?([a-z_]+\.[a-z_]+)\.([a-z_]+)\.(receiver|targets|rules)/g)) {
      assert.match(alloy, new RegExp(`^${ref[1]!.replace('.', '\\.')} "${ref[2]}" \\{`, 'm'), `${ref[0]} refers to an undefined component`);
    }
  });

  it('Grafana datasources point at the prometheus and loki services; dashboards are mounted where the provider reads', () => {
    const ds = parseYaml(readFileSync(join(root, 'deploy/grafana/provisioning/datasources/datasources.yml'), 'utf8')) as { datasources: Array<{ type: string; url: string }> };
    for (const d of ds.datasources) {
      const u = new URL(d.url);
      assert.ok(compose.services[u.hostname], `${d.url}: no such service`);
      assert.ok(listensOn(u.hostname).includes(Number(u.port)), `${d.url}: ${u.hostname} does not listen on ${u.port}`);
    }
    const provider = parseYaml(readFileSync(join(root, 'deploy/grafana/provisioning/dashboards/dashboards.yml'), 'utf8')) as { providers: Array<{ options: { path: string } }> };
    const mounts = compose.services.grafana!.volumes!;
    assert.ok(mounts.some((v) => v.startsWith('./deploy/grafana/dashboards:') && v.split(':')[1] === provider.providers[0]!.options.path));
    assert.ok(mounts.some((v) => v.startsWith('./deploy/grafana/provisioning:/etc/grafana/provisioning')));
    const env = compose.services.grafana!.environment!;
    assert.equal(`${env.GF_SECURITY_ADMIN_USER}/${env.GF_SECURITY_ADMIN_PASSWORD}`, 'admin/admin');
  });

  it('Prometheus loads the alert rules file the config names', () => {
    const config = parseYaml(readFileSync(join(root, 'deploy/prometheus/prometheus.yml'), 'utf8')) as { rule_files: string[] };
    const mounts = compose.services.prometheus!.volumes!;
    for (const f of config.rule_files) assert.ok(mounts.some((v) => v.startsWith(`./deploy/prometheus/${f}:/etc/prometheus/${f}`)), `${f} is not mounted next to prometheus.yml`);
  });
});
