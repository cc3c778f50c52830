// deploy/nginx/odin.conf run for real: Debian's nginx terminates TLS (a
// self-signed certificate made here with openssl) in front of two gateway
// processes on one nats-server. SDK clients connect over wss:// and verify the
// certificate; each gateway is restarted in turn (SIGTERM: drain with 4005,
// then a new process on the same port) while a publisher runs: every client
// gets every message exactly once, in order, resuming through nginx.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { CloseCode, OdinClient, type DataMessage } from '@odin-gateway/client';
import { gatewayOptionTable } from '../../src/config/gateway-options.js';
import { repoRoot } from '../../src/observability/dashboards/write-dashboards.js';
import { NatsServer } from '../helpers/nats-server.js';
import { startNginx, selfSignedCertificate, type NginxServer } from '../helpers/nginx-server.js';
import { freePort } from '../helpers/prometheus-server.js';
import { startGatewayProcess, type GatewayProcess } from '../nats/gateway-process.js';
import { expectedTicks, natsBroker, RetryingPublisher, waitUntil } from '../nats/nats-test-kit.js';
import type { NatsBroker } from '../../src/broker/broker-nats.js';

const SHIPPED = readFileSync(join(repoRoot(), 'deploy/nginx/odin.conf'), 'utf8');
const CHANNELS = ['token.AAA.price', 'token.BBB.price', 'market.statistics'];
const CLIENTS = 6;

/** Replaces `pattern` in the shipped config, which must match exactly `times` times (the file changed shape otherwise). */
function replaceExactly(text: string, pattern: RegExp, replacement: string, times: number): string {
  const hits = text.match(new RegExp(pattern.source, 'gm'))?.length ?? 0;
  assert.equal(hits, times, `deploy/nginx/odin.conf: ${pattern} matched ${hits} times, expected ${times}`);
  return text.replace(new RegExp(pattern.source, 'gm'), replacement);
}

/** The shipped file with only its addresses and certificate paths replaced. */
function siteConfig(listenPort: number, gatewayPorts: [number, number], cert: { certPath: string; keyPath: string }): string {
  let site = SHIPPED;
  site = replaceExactly(site, /^( *)listen 443 ssl;$/, `$1listen 127.0.0.1:${listenPort} ssl;`, 1);
  site = replaceExactly(site, /^ *listen \[::\]:443 ssl;\n/, '', 1);
  site = replaceExactly(site, /127\.0\.0\.1:3004/, `127.0.0.1:${gatewayPorts[0]}`, 1);
  site = replaceExactly(site, /127\.0\.0\.1:3005/, `127.0.0.1:${gatewayPorts[1]}`, 1);
  site = replaceExactly(site, /\/etc\/ssl\/odin\/fullchain\.pem/, cert.certPath, 1);
  site = replaceExactly(site, /\/etc\/ssl\/odin\/privkey\.pem/, cert.keyPath, 1);
  return site;
}

/** Seconds of an nginx time value (`75s`, `2m`, `75`). */
function nginxSeconds(value: string): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(value);
  assert.ok(m, `an nginx time: ${value}`);
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}

function directive(name: string): string[] {
  return [...SHIPPED.matchAll(new RegExp(`^\\s*${name}\\s+([^;]+);`, 'gm'))].map((m) => m[1]!.trim());
}

test('deploy/nginx/odin.conf has what WebSocket and SSE need: upgrade headers, a read timeout above the ping interval, no buffering', () => {
  assert.deepEqual(directive('proxy_http_version'), ['1.1']);
  assert.deepEqual(directive('proxy_set_header Upgrade'), ['$http_upgrade']);
  assert.deepEqual(directive('proxy_set_header Connection'), ['$connection_upgrade']);
  assert.match(SHIPPED, /map \$http_upgrade \$connection_upgrade \{\s*default\s+upgrade;\s*''\s+close;\s*\}/);
  assert.deepEqual(directive('proxy_buffering'), ['off']);
  const pingSeconds = Number(gatewayOptionTable.pingIntervalMs.default) / 1000;
  const [readTimeout] = directive('proxy_read_timeout');
  assert.ok(readTimeout, 'proxy_read_timeout is set');
  assert.ok(nginxSeconds(readTimeout) > pingSeconds, `proxy_read_timeout ${readTimeout} is above the ping interval (${pingSeconds} s)`);
  const [sendTimeout] = directive('proxy_send_timeout');
  assert.ok(sendTimeout && nginxSeconds(sendTimeout) > pingSeconds, `proxy_send_timeout ${sendTimeout} is above the ping interval`);
});

/** An SDK client over wss:// that trusts only the test's certificate, recording every delivery. */
class Trader {
  readonly received = new Map<string, DataMessage[]>();
  readonly closes: number[] = [];
  notRecovered = 0;
  resumes = 0;

  constructor(readonly client: OdinClient) {
    client.on('close', (c) => this.closes.push(c.code));
    client.on('subscribed', (r) => {
      if (!r.resumed) return;
      this.resumes++;
      if (!r.recovered) this.notRecovered++;
    });
  }

  ticks(channel: string): number[] {
    return (this.received.get(channel) ?? []).map((m) => (m.data as { n: number }).n);
  }

  record(m: DataMessage): void {
    const list = this.received.get(m.channel) ?? [];
    list.push(m);
    this.received.set(m.channel, list);
  }
}

/** The status of an HTTPS GET that trusts only `ca`. */
function httpsStatus(url: string, ca: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    httpsGet(url, { ca }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

function sessionPrefix(gateway: GatewayProcess): string {
  return String(gateway.lines.find((l) => l.event === 'gateway_started')?.session_prefix);
}

test('behind nginx over wss://: each gateway restarted in turn, clients resume through nginx with 0 gaps and 0 duplicates', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'odin-tls-'));
  const server = await NatsServer.start();
  const gateways: GatewayProcess[] = [];
  const traders: Trader[] = [];
  let nginx: NginxServer | undefined;
  let publisherBroker: NatsBroker | undefined;
  let publisher: RetryingPublisher | undefined;
  try {
    const cert = selfSignedCertificate(dir);
    const ports: [number, number] = [await freePort(), await freePort()];
    const gatewayArgs = (port: number): string[] => ['--nats', server.url, '--port', String(port), '--drain-seconds', '1', '--shutdown-timeout-ms', '5000'];
    gateways.push(await startGatewayProcess(gatewayArgs(ports[0])), await startGatewayProcess(gatewayArgs(ports[1])));
    const listenPort = await freePort();
    nginx = await startNginx(siteConfig(listenPort, ports, cert));

    // The client checks the certificate against the test's own CA (no rejectUnauthorized: false).
    class TlsWebSocket extends WebSocket {
      constructor(url: string) {
        super(url, { ca: cert.pem });
      }
    }
    const url = `wss://localhost:${listenPort}/ws`;
    for (let i = 0; i < CLIENTS; i++) {
      const client = new OdinClient({ url, WebSocket: TlsWebSocket, reconnect: { baseMs: 50, maxMs: 1000 } });
      const trader = new Trader(client);
      traders.push(trader);
      await client.connect();
      await Promise.all(CHANNELS.map((channel) => client.subscribe(channel, (_data, m) => trader.record(m)).ready));
    }
    // least_conn spreads the clients: both gateways hold some.
    const onGateway = (g: GatewayProcess): Trader[] => traders.filter((t) => t.client.session?.startsWith(`${sessionPrefix(g)}-`));
    assert.ok(onGateway(gateways[0]!).length > 0 && onGateway(gateways[1]!).length > 0, 'nginx sent clients to both gateways');

    publisherBroker = natsBroker(server.url, { consume: false });
    await publisherBroker.start();
    publisher = new RetryingPublisher(publisherBroker, CHANNELS, 10);
    publisher.start();
    const pub = publisher;
    await waitUntil(() => traders.every((t) => CHANNELS.every((c) => t.ticks(c).length >= 5)), 30_000, 'traffic on every client');

    for (const index of [0, 1]) {
      const old = gateways[index]!;
      const movers = onGateway(old);
      assert.equal(await old.kill('SIGTERM'), 0, `gateway ${index + 1} drained and exited 0`);
      // Its clients were asked to move (4005) and are back through nginx, on the other gateway.
      await waitUntil(() => movers.every((t) => t.client.state === 'open' && !t.client.session?.startsWith(`${sessionPrefix(old)}-`)), 30_000, `clients of gateway ${index + 1} back through nginx`, () => ({
        clients: movers.map((t) => ({ state: t.client.state, session: t.client.session, closes: t.closes })),
        nginx: nginx?.output().slice(-3000),
      }));
      for (const t of movers) assert.ok(t.closes.includes(CloseCode.DRAINING), `a client of gateway ${index + 1} was asked to move with 4005 (closes: ${t.closes.join(',')})`);
      // A new process on the same port, behind the same nginx.
      gateways[index] = await startGatewayProcess(gatewayArgs(ports[index]!));
      const target = pub.produced;
      await waitUntil(() => traders.every((t) => CHANNELS.every((c) => (t.ticks(c).at(-1) ?? 0) >= target - CHANNELS.length)), 30_000, `delivery after restarting gateway ${index + 1}`);
    }
    // The clients of the second gateway moved to the restarted first one: nginx reached the new process.
    assert.ok(onGateway(gateways[0]!).length > 0, 'clients are on the restarted first gateway');

    await pub.finish();
    await waitUntil(() => traders.every((t) => CHANNELS.every((c) => t.ticks(c).length >= expectedTicks(pub, c).length)), 30_000, 'every message on every client');
    for (const [i, t] of traders.entries()) {
      for (const channel of CHANNELS) {
        assert.deepEqual(t.ticks(channel), expectedTicks(pub, channel), `client ${i} ${channel}: every tick exactly once, in order`);
        const list = t.received.get(channel) ?? [];
        for (let k = 1; k < list.length; k++) assert.equal(list[k]!.prev, list[k - 1]!.seq, `client ${i} ${channel}: prev continuous at ${k}`);
      }
      assert.equal(t.client.stats.gaps, 0, `client ${i}: no gap`);
      assert.equal(t.client.stats.duplicates, 0, `client ${i}: no duplicate`);
      assert.equal(t.notRecovered, 0, `client ${i}: every resume recovered`);
      assert.ok(t.resumes >= CHANNELS.length, `client ${i} resumed its channels`);
    }
    // Through TLS: a plain-HTTP request to the TLS port is refused by nginx, and /metrics is not public.
    const plain = await fetch(`http://127.0.0.1:${listenPort}/livez`).then((r) => r.status);
    assert.equal(plain, 400, 'plain HTTP on the TLS port is refused');
    assert.equal(await httpsStatus(`https://localhost:${listenPort}/livez`, cert.pem), 200, 'a gateway answers through nginx');
    assert.equal(await httpsStatus(`https://localhost:${listenPort}/metrics`, cert.pem), 404, '/metrics is not served through nginx');
  } finally {
    publisher?.stop();
    for (const t of traders) t.client.close();
    for (const g of gateways) await g.kill('SIGKILL');
    await nginx?.stop();
    await publisherBroker?.close().catch(() => undefined);
    await server.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});
