// The publisher retries a failed publish with the same message id: with a real
// nats-server stopped and restarted while it publishes, every tick published
// around the outage is stored after it, and none twice (JetStream's duplicate
// window drops a retry of a message that was stored but not acknowledged).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { ConfigError } from '../../src/config/option-parser.js';
import { publisherConfigFrom } from '../../src/config/publisher-options.js';
import { createLogger } from '../../src/observability/logger.js';
import type { Broker } from '../../src/broker/broker.js';
import { MemoryBroker } from '../../src/broker/broker-memory.js';
import { createPublisherBroker } from '../../src/publisher/publisher-broker.js';
import { PublisherService, retryDelayMs } from '../../src/publisher/publisher-service.js';
import { settingsFrom } from '../../src/publisher/publisher-settings.js';
import { NatsServer } from '../helpers/nats-server.js';
import { waitUntil } from './publisher-fixtures.js';

/** The message id of every message in the stream, in stream order. */
async function storedMessageIds(url: string, stream: string, expected: number): Promise<string[]> {
  const nc = await connect({ servers: [url] });
  try {
    const consumer = await jetstream(nc).consumers.get(stream);
    const ids: string[] = [];
    while (ids.length < expected) {
      const batch = await consumer.fetch({ max_messages: 500, expires: 2000 });
      let got = 0;
      for await (const m of batch) {
        ids.push(m.headers?.get('Nats-Msg-Id') ?? '(none)');
        got++;
      }
      if (got === 0) break;
    }
    return ids;
  } finally {
    await nc.close();
  }
}

describe('publisher retries', () => {
  const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  let nats: NatsServer | undefined;
  let broker: Broker | undefined;
  let service: PublisherService | undefined;
  after(async () => {
    await service?.close();
    await broker?.close();
    await nats?.cleanup();
  });

  it('ticks published during a nats-server restart are stored after it, each once', { timeout: 120_000 }, async () => {
    nats = await NatsServer.start();
    const stream = `RETRY_${process.pid}`;
    const config = publisherConfigFrom(['--nats', nats.url, '--nats-stream', stream, '--rate', '200', '--trade-rate', '0', '--book-rate', '0', '--statistics-interval-ms', '600000'], {});
    broker = await createPublisherBroker(config, logger);
    service = new PublisherService({ broker, logger, instanceId: 'retry-test' }, settingsFrom(config));
    const s = service;
    s.start();
    await waitUntil('100 acknowledged ticks', () => s.stats().messagesPublished >= 100, 20_000);

    await nats.stop('SIGTERM');
    await waitUntil('a failed attempt during the outage', () => s.stats().errors > 0, 30_000);
    const duringOutage = s.stats();
    assert.ok(duringOutage.retries > 0, 'failed attempts are retried');
    await nats.restart();
    await waitUntil('100 more ticks acknowledged after the restart', () => s.stats().messagesPublished >= duringOutage.messagesPublished + 100, 60_000);
    s.stop();
    await waitUntil('every publish acknowledged or given up', () => s.stats().inFlight === 0, 60_000);

    const stats = s.stats();
    assert.equal(stats.lost, 0, `${stats.lost} messages lost (last error: ${stats.lastError})`);
    const issued = stats.messagesPublished + stats.statisticsPublished;
    const ids = await storedMessageIds(nats.url, stream, issued);
    assert.equal(new Set(ids).size, ids.length, 'a message was stored twice');
    assert.equal(ids.length, issued, `${ids.length} stored, ${issued} acknowledged`);
    // Ids end in a per-process counter (base 36): 1..issued, none missing.
    const counters = ids.map((id) => parseInt(id.slice(id.lastIndexOf('-') + 1), 36)).sort((a, b) => a - b);
    assert.deepEqual(counters, Array.from({ length: issued }, (_, i) => i + 1));
    const metrics = await s.metrics.retries.get();
    assert.ok(metrics.values.some((v) => v.labels.kind === 'price' && v.value > 0), 'publisher_publish_retries_total{kind="price"} counts them');
  });

  it('gives up within its bound and counts the message as lost', { timeout: 60_000 }, async () => {
    // A real broker that refuses every publish: a closed memory broker.
    const failing = new MemoryBroker({ historySize: 10, historyMaxAgeMs: 60_000 });
    await failing.start();
    await failing.close();
    const quiet = new PublisherService({ broker: failing, logger, instanceId: 'bound' }, { ...settingsFrom(publisherConfigFrom(['--publish-retries', '2', '--book-rate', '0'], {})), messagesPerSecond: 0, statisticsIntervalMs: 600_000 });
    quiet.start(); // publishes one market.statistics at once
    await waitUntil('the message given up', () => quiet.stats().lost === 1, 10_000);
    const stats = quiet.stats();
    quiet.stop();
    assert.equal(stats.errors, 3, 'the first attempt and two retries');
    assert.equal(stats.retries, 2);
    assert.equal(stats.inFlight, 0);
    assert.equal((await quiet.metrics.lost.get()).values.find((v) => v.labels.kind === 'statistics')?.value, 1);
  });

  it('retry delays grow and stay capped; the time bound never passes the duplicate window', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 9].map(retryDelayMs), [100, 200, 400, 800, 1600, 2000, 2000]);
    assert.throws(() => publisherConfigFrom(['--publish-retry-ms', '120001'], {}), ConfigError);
    assert.throws(() => publisherConfigFrom(['--publish-retry-ms', '60000', '--history-max-age', '30'], {}), /longer than --history-max-age/);
    assert.equal(publisherConfigFrom([], { PUBLISH_RETRIES: '0' }).publishRetries, 0);
  });
});
