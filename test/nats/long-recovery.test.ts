// Long recovery is the default over NATS (issue 20): with no history flag,
// the gateway's stream keeps 100,000 messages per channel for 30 minutes, so
// a client away while 5,000 messages were published on its channel resumes
// every one of them, recovered:true, 0 gaps. With the old defaults (1,000
// per channel) the same resume answered recovered:false.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { buildBroker, createBroker } from '../../src/broker/create-broker.js';
import type { Broker } from '../../src/broker/broker.js';
import { defaultGatewayConfig } from '../../src/config/gateway-options.js';
import { NATS_HISTORY_DEFAULTS } from '../../src/config/history-defaults.js';
import { NatsServer } from '../helpers/nats-server.js';
import { startTestGateway, type GatewayHarness } from '../helpers/gateway-harness.js';
import { TestClient } from '../helpers/test-client.js';
import { testLogger, uniqueStream } from './nats-test-kit.js';

const CHANNEL = 'token.LONG.price';
const BACKLOG = 5000;

let server: NatsServer;
const cleanups: Array<() => Promise<unknown>> = [];

before(async () => {
  server = await NatsServer.start();
});
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await server?.cleanup();
});

test(`NATS mode with default settings: a resume over a backlog of ${BACKLOG} messages on one channel recovers all of them, 0 gaps`, { timeout: 120_000 }, async () => {
  const stream = uniqueStream('LONG');
  // As `odin gateway --nats URL` and `odin publisher --nats URL`: no history flag.
  const config = defaultGatewayConfig({ natsUrl: server.url, natsStream: stream, natsStorage: 'file', instanceId: 'long-gw' });
  assert.equal(config.historySize, NATS_HISTORY_DEFAULTS.historySize);
  // The harness starts the broker (it creates the stream with the config's limits).
  const gatewayBroker = buildBroker(config, testLogger('long-gw'));
  cleanups.push(() => gatewayBroker.close());
  const gateway: GatewayHarness = await startTestGateway({ natsUrl: server.url, natsStream: stream }, gatewayBroker);
  cleanups.push(() => gateway.stop());
  const publisher: Broker = await createBroker({ ...config, instanceId: 'long-pub' }, testLogger('long-pub'), { role: 'publisher', consume: false });
  cleanups.push(() => publisher.close());

  // The stream really has the long limits, file storage.
  const nc = await connect({ servers: server.url });
  try {
    const info = await (await jetstreamManager(nc)).streams.info(stream);
    assert.equal(info.config.max_msgs_per_subject, 100_000);
    assert.ok(info.config.max_age >= 900 * 1e9, `max_age ${info.config.max_age / 1e9} s covers 15 minutes`);
    assert.equal(info.config.storage, 'file');
  } finally {
    await nc.close();
  }

  const first = await TestClient.connect(gateway.url);
  await first.subscribe([CHANNEL]);
  await publisher.publish(CHANNEL, { n: 0 });
  await first.waitFor(() => first.dataOn(CHANNEL).length === 1, 15_000, 'the first message');
  const seen = first.dataOn(CHANNEL)[0]!;
  first.ws.terminate();

  // The backlog, published while the client is away (in order: one publish at a time per chunk).
  for (let n = 1; n <= BACKLOG; n += 250) {
    await Promise.all(Array.from({ length: Math.min(250, BACKLOG - n + 1) }, (_, i) => publisher.publish(CHANNEL, { n: n + i }, { msgId: `long-${stream}-${n + i}` })));
  }

  const back = await TestClient.connect(gateway.url);
  const [answer] = await back.subscribe([{ channel: CHANNEL, since: { seq: seen.seq, epoch: seen.epoch } }]);
  assert.equal(answer?.recovered, true, 'the whole backlog is still retained');
  await back.waitFor(() => back.dataOn(CHANNEL).length >= BACKLOG, 60_000, `${BACKLOG} replayed messages`);
  const replayed = back.dataOn(CHANNEL);
  assert.equal(replayed.length, BACKLOG, 'every message once');
  assert.equal(replayed[0]!.prev, seen.seq, 'the replay starts right after the position resumed from');
  assert.deepEqual(back.gaps, [], 'no gap, no duplicate');
  assert.deepEqual(back.unverified, []);
  // Every payload once (chunks may interleave inside a chunk, never across).
  const ns = new Set(replayed.map((m) => (m.data as { n: number }).n));
  assert.equal(ns.size, BACKLOG);
  assert.ok(!ns.has(0) && ns.has(1) && ns.has(BACKLOG));
  back.close();
});
