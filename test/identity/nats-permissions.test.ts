// A real nats-server with the stack's users and permissions
// (deploy/nats/auth.conf, included as compose's nats.conf includes it):
// gateways and publisher work with their own credentials, the publisher is
// refused outside its subjects, the gateway may not publish, anonymous
// connections are refused. And ingest: a crafted subject never reaches a
// client, and the drop is counted.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstream } from '@nats-io/jetstream';
import { connect, nkeys } from '@nats-io/transport-node';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Broker } from '../../src/broker/broker.js';
import { createBroker, type BrokerSettings } from '../../src/broker/create-broker.js';
import { createLogger } from '../../src/observability/logger.js';
import { repoRoot } from '../../src/observability/dashboards/write-dashboards.js';
import { defaultGatewayConfig } from '../../src/config/gateway-options.js';
import { OdinGateway } from '../../src/gateway/gateway-server.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { NatsServer } from '../helpers/nats-server.js';
import { TestClient } from '../helpers/test-client.js';

const PASSWORDS = { ODIN_NATS_GATEWAY_PASSWORD: 'gateway-test-password-1', ODIN_NATS_PUBLISHER_PASSWORD: 'publisher-test-password-2' };
const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

/** A gateway over an already started broker (the shared harness would start it a second time). */
async function gatewayOver(broker: Broker): Promise<{ url: string; httpUrl: string; stop(): Promise<void> }> {
  const gateway = new OdinGateway(defaultGatewayConfig({ port: 0, host: '127.0.0.1', logLevel: 'silent', shutdownTimeoutMs: 2000, metricsCacheMs: 0 }), { broker, logger });
  const port = await gateway.start();
  return { url: `ws://127.0.0.1:${port}/ws`, httpUrl: `http://127.0.0.1:${port}`, stop: () => gateway.stop() };
}
type GatewayHarness = Awaited<ReturnType<typeof gatewayOver>>;

describe('NATS with the stack\'s users and permissions', () => {
  let nats: NatsServer;
  let gatewayBroker: Broker;
  let publisherBroker: Broker;
  let gw: GatewayHarness;

  const settings = (user: string, password: string, instanceId: string): BrokerSettings => ({
    natsUrl: nats.url,
    natsStream: 'ODIN',
    natsReplicas: 1,
    natsStorage: 'memory',
    historySize: 100,
    historyMaxAgeSec: 600,
    instanceId,
    natsUser: user,
    natsPassword: password,
    natsPasswordFile: undefined,
  });

  before(async () => {
    nats = await NatsServer.start({ include: join(repoRoot(), 'deploy/nats/auth.conf'), env: PASSWORDS });
    gatewayBroker = await createBroker(settings('gateway', PASSWORDS.ODIN_NATS_GATEWAY_PASSWORD, 'perm-gw'), logger);
    publisherBroker = await createBroker(settings('publisher', PASSWORDS.ODIN_NATS_PUBLISHER_PASSWORD, 'perm-pub'), logger, { role: 'publisher', consume: false });
    gw = await gatewayOver(gatewayBroker);
  });

  after(async () => {
    await gw?.stop();
    await publisherBroker?.close();
    await gatewayBroker?.close();
    await nats?.cleanup();
  });

  it('a gateway with its credentials delivers what the publisher publishes on its subjects', async () => {
    const client = await TestClient.connect(gw.url);
    await client.subscribe(['token.BTC.price', 'market.statistics']);
    await publisherBroker.publish('token.BTC.price', { type: 'price:update', price: 1 });
    await publisherBroker.publish('market.statistics', { type: 'market:statistics' });
    await client.waitFor(() => client.data.length === 2, 10_000, 'both messages');
    assert.deepEqual(client.data.map((m) => m.channel).sort(), ['market.statistics', 'token.BTC.price'], JSON.stringify(client.messages));
    // History reads (a resume) work within the gateway's permissions too.
    const resumed = await TestClient.connect(gw.url);
    const [answer] = await resumed.subscribe([{ channel: 'token.BTC.price', since: { seq: 0, epoch: gatewayBroker.epoch() } }]);
    assert.equal(answer!.recovered, true);
    assert.equal(resumed.dataOn('token.BTC.price').length, 1);
    client.close();
    resumed.close();
  });

  it('the publisher is refused outside its subjects; the gateway may not publish at all', async () => {
    await assert.rejects(publisherBroker.publish('trades.admin.dave', { type: 'forged' }));
    await assert.rejects(publisherBroker.publish('token.BTC.other', { type: 'forged' }));
    await assert.rejects(gatewayBroker.publish('token.BTC.price', { type: 'forged' }));
    // Its own subjects still work after the refusals.
    await publisherBroker.publish('trades.user.alice', { type: 'trade:executed' });
  });

  it('anonymous and wrong-password connections are refused', async () => {
    await assert.rejects(connect({ servers: nats.url, reconnect: false }));
    await assert.rejects(connect({ servers: nats.url, reconnect: false, user: 'publisher', pass: 'wrong-password' }));
  });
});

describe('ingest validation (real nats-server, no auth)', () => {
  let nats: NatsServer;
  let broker: Broker;
  let gw: GatewayHarness;

  before(async () => {
    nats = await NatsServer.start();
    broker = await createBroker({ natsUrl: nats.url, natsStream: 'ODIN', natsReplicas: 1, natsStorage: 'memory', historySize: 100, historyMaxAgeSec: 600, instanceId: 'ingest' }, logger);
    gw = await gatewayOver(broker);
  });

  after(async () => {
    await gw?.stop();
    await broker?.close();
    await nats?.cleanup();
  });

  it('a crafted subject never reaches a client, live or on resume, and the drop is counted', async () => {
    const client = await TestClient.connect(gw.url);
    await client.subscribe(['token.>']);
    const before = metricValue(await fetchMetrics(gw.httpUrl), 'ws_ingest_dropped_total', { reason: 'invalid_channel' });
    // A foreign publisher with NATS access: subjects may hold quotes and commas, which a frame must never carry raw.
    const nc = await connect({ servers: nats.url });
    const js = jetstream(nc);
    await js.publish('odin.token.x","channel":"trades.user.alice', JSON.stringify({ type: 'forged' }));
    await js.publish('odin.token.a\\b.price', JSON.stringify({ type: 'forged' }));
    // A valid message after them: once it arrives, the crafted ones were seen (stream order) and dropped.
    await js.publish('odin.token.BTC.price', JSON.stringify({ type: 'price:update' }));
    await client.waitFor(() => client.data.length >= 1, 10_000, 'the valid message');
    await nc.drain();
    assert.deepEqual(client.data.map((m) => m.channel), ['token.BTC.price']);
    const after = metricValue(await fetchMetrics(gw.httpUrl), 'ws_ingest_dropped_total', { reason: 'invalid_channel' });
    assert.equal(after - before, 2);
    // Resume over the same range: history skips them too.
    const resumed = await TestClient.connect(gw.url);
    await resumed.subscribe([{ channel: 'token.>', since: { seq: 0, epoch: broker.epoch() } }]);
    assert.deepEqual(resumed.data.map((m) => `${m.channel} ${m.seq}`), ['token.BTC.price 3'], JSON.stringify(resumed.messages));
    client.close();
    resumed.close();
  });
});

describe('other NATS credential methods: token and nkey (real nats-server)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'odin-nats-creds-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const base = (url: string): BrokerSettings => ({ natsUrl: url, natsStream: 'ODIN', natsReplicas: 1, natsStorage: 'memory', historySize: 10, historyMaxAgeSec: 60, instanceId: 'creds' });

  it('connects with NATS_TOKEN when the server wants a token, and fails without it', async () => {
    const conf = join(dir, 'token.conf');
    writeFileSync(conf, 'authorization { token: "odin-test-nats-token-123" }\n');
    const nats = await NatsServer.start({ include: conf });
    try {
      const broker = await createBroker({ ...base(nats.url), natsToken: 'odin-test-nats-token-123' }, logger, { role: 'publisher', consume: false });
      await broker.publish('token.BTC.price', { type: 'price:update' });
      await broker.close();
      await assert.rejects(createBroker({ ...base(nats.url), natsToken: 'wrong-token' }, logger, { role: 'publisher', consume: false }));
    } finally {
      await nats.cleanup();
    }
  });

  it('connects with an nkey seed file', async () => {
    const user = nkeys.createUser();
    const seedFile = join(dir, 'user.nk');
    writeFileSync(seedFile, new TextDecoder().decode(user.getSeed()));
    const conf = join(dir, 'nkey.conf');
    writeFileSync(conf, `authorization { users: [ { nkey: ${user.getPublicKey()} } ] }\n`);
    const nats = await NatsServer.start({ include: conf });
    try {
      const broker = await createBroker({ ...base(nats.url), natsNkeySeedFile: seedFile }, logger, { role: 'publisher', consume: false });
      await broker.publish('token.BTC.price', { type: 'price:update' });
      await broker.close();
      const stranger = join(dir, 'stranger.nk');
      writeFileSync(stranger, new TextDecoder().decode(nkeys.createUser().getSeed()));
      await assert.rejects(createBroker({ ...base(nats.url), natsNkeySeedFile: stranger }, logger, { role: 'publisher', consume: false }));
      await assert.rejects(createBroker({ ...base(nats.url), natsNkeySeedFile: join(dir, 'missing.nk') }, logger), /NATS_NKEY_SEED_FILE: cannot read/);
    } finally {
      await nats.cleanup();
    }
  });
});
