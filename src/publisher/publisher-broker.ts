// The broker a standalone publisher writes to: NATS/JetStream when a URL is
// given, publish-only (no live consumer: a publisher reads nothing back),
// else a private memory broker for trying the control API.
import type { Broker } from '../broker/broker.js';
import { createBroker } from '../broker/create-broker.js';
import type { PublisherConfig } from '../config/publisher-options.js';
import type { Logger } from '../observability/logger.js';

export function createPublisherBroker(config: PublisherConfig, logger: Logger): Promise<Broker> {
  // The stream is shared with the gateways: the same settings (and variables) keep them from fighting over its limits.
  return createBroker(config, logger, { role: 'publisher', consume: false });
}
