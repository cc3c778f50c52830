// The publisher over a real nats-server: publish-only into JetStream, read by
// a gateway on its own NATS broker, delivered to the SDK, which resumes after
// a drop with nothing lost. The nats-server is the test's own (free ports).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { Registry } from 'prom-client';
import { NatsBroker } from '../../src/broker/broker-nats.js';
import type { Broker } from '../../src/broker/broker.js';
import { OdinClient, type DataMessage } from '@odin-gateway/client';
import { publisherConfigFrom } from '../../src/config/publisher-options.js';
import { createLogger } from '../../src/observability/logger.js';
import { createPublisherBroker } from '../../src/publisher/publisher-broker.js';
import { startPublisher, type RunningPublisher } from '../../src/publisher/publisher-runtime.js';
import { settingsFrom } from '../../src/publisher/publisher-settings.js';
import { startTestGateway, type GatewayHarness } from '../helpers/gateway-harness.js';
import { NatsServer } from '../helpers/nats-server.js';
import { sleep } from './publisher-fixtures.js';

describe('publisher over NATS/JetStream', () => {
  const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const stream = `PUB_${process.pid}`;
  let nats: NatsServer;
  let publisherBroker: Broker;
  let publisher: RunningPublisher;
  let gatewayBroker: NatsBroker;
  let gw: GatewayHarness;

  before(async () => {
    nats = await NatsServer.start();
    const config = publisherConfigFrom(['--nats', nats.url, '--nats-stream', stream, '--port', '0', '--host', '127.0.0.1', '--rate', '200', '--statistics-interval-ms', '500'], {});
    publisherBroker = await createPublisherBroker(config, logger);
    publisher = await startPublisher({ broker: publisherBroker, logger, registry: new Registry(), settings: settingsFrom(config), instanceId: config.instanceId });
    // The stream is shared: the gateway expects the publisher's limits (here the NATS defaults).
    gatewayBroker = new NatsBroker({ servers: [nats.url], name: stream, historySize: config.historySize, historyMaxAgeSec: config.historyMaxAgeSec, replicas: 1, storage: 'file', logger });
    gw = await startTestGateway({}, gatewayBroker);
  });

  after(async () => {
    await publisher?.stop();
    await gw?.stop();
    await gatewayBroker?.close();
    await publisherBroker?.close();
    await nats?.cleanup();
  });

  it('publishes acknowledged messages that reach SDK clients through a gateway, resumable without loss', async () => {
    assert.equal(publisherBroker.kind, 'nats');
    publisher.service.start();
    const client = new OdinClient({ url: gw.url, WebSocket, random: () => 0.5 });
    const received: DataMessage[] = [];
    let gaps = 0;
    client.on('gap', () => gaps++);
    try {
      client.subscribe('token.*.price', (_tick, m) => received.push(m));
      await client.connect();
      const deadline = Date.now() + 10_000;
      while (received.length < 20 && Date.now() < deadline) await sleep(20);
      assert.ok(received.length >= 20, `${received.length} ticks through NATS`);
      const tick = received.at(-1)!.data as { type: string; tokenId: string; price: number };
      assert.equal(tick.type, 'price:update');
      assert.ok(['BTC', 'ETH', 'ODIN', 'SOL', 'DOGE'].includes(tick.tokenId));

      const resumed = new Promise<{ recovered?: boolean; replayed: number }>((resolve) => client.on('subscribed', (r) => r.resumed && resolve(r)));
      client.reconnect({ delayMs: 500 });
      const r = await resumed;
      assert.equal(r.recovered, true);
      assert.ok(r.replayed >= 20, `${r.replayed} replayed from JetStream after half a second away`);
      const after = received.length;
      while (received.length < after + 20 && Date.now() < deadline + 10_000) await sleep(20);
      assert.equal(gaps, 0);

      const stats = publisher.service.stats();
      assert.equal(stats.errors, 0);
      assert.ok(stats.messagesPublished >= received.length - 5);
      assert.ok(stats.statisticsPublished >= 2);
      assert.ok(stats.publishLatencyMs > 0, 'JetStream acknowledgements are timed');
    } finally {
      client.close();
    }
  });
});
