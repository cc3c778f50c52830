// The broker a standalone publisher writes to: NATS/JetStream when a URL is
// given, publish-only (no live consumer: a publisher reads nothing back),
// the server API of a gateway with --via-api, else a private memory broker
// for trying the control API.
import type { Broker } from '../broker/broker.js';
import { ApiPublishBroker } from './api-publish-broker.js';
import { createBroker } from '../broker/create-broker.js';
import type { PublisherConfig } from '../config/publisher-options.js';
import type { Logger } from '../observability/logger.js';

export async function createPublisherBroker(config: PublisherConfig, logger: Logger): Promise<Broker> {
  if (config.viaApi !== undefined && config.apiKey !== undefined) {
    const broker = new ApiPublishBroker(config.viaApi, config.apiKey);
    await broker.start();
    return broker;
  }
  // The stream is shared with the gateways: the same settings (and variables) keep them from fighting over its limits.
  return createBroker(config, logger, { role: 'publisher', consume: false });
}
