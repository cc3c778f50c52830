// Picks the broker from the configuration: NATS when a URL is given, else the
// embedded memory broker.
import type { GatewayConfig } from '../config/gateway-options.js';
import { ConfigError } from '../config/option-parser.js';
import type { Logger } from '../observability/logger.js';
import type { Broker } from './broker.js';
import { MemoryBroker } from './broker-memory.js';

export async function createBroker(config: GatewayConfig, _logger: Logger): Promise<Broker> {
  if (config.natsUrl) {
    throw new ConfigError('--nats/NATS_URL: the NATS broker is not in this build yet');
  }
  const broker = new MemoryBroker({ historySize: config.historySize, historyMaxAgeMs: config.historyMaxAgeSec * 1000 });
  await broker.start();
  return broker;
}
