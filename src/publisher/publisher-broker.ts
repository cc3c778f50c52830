// The broker a standalone publisher writes to: NATS/JetStream when a URL is
// given, publish-only (no live consumer: a publisher reads nothing back),
// else a private memory broker for trying the control API.
import type { Broker } from '../broker/broker.js';
import { MemoryBroker } from '../broker/broker-memory.js';
import { NatsBroker } from '../broker/broker-nats.js';
import { natsServers } from '../broker/create-broker.js';
import type { PublisherConfig } from '../config/publisher-options.js';
import type { Logger } from '../observability/logger.js';

export async function createPublisherBroker(config: PublisherConfig, logger: Logger): Promise<Broker> {
  if (!config.natsUrl) {
    const broker = new MemoryBroker({ historySize: config.historySize, historyMaxAgeMs: config.historyMaxAgeSec * 1000 });
    await broker.start();
    return broker;
  }
  const broker = new NatsBroker({
    servers: natsServers(config.natsUrl),
    name: config.natsStream,
    // The stream is shared with the gateways: the same settings (and variables) keep them from fighting over its limits.
    historySize: config.historySize,
    historyMaxAgeSec: config.historyMaxAgeSec,
    replicas: config.natsReplicas,
    storage: config.natsStorage === 'memory' ? 'memory' : 'file',
    logger,
    connectionName: `odin-publisher ${config.instanceId}`,
    consume: false,
  });
  await broker.start();
  return broker;
}
