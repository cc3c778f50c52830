// Picks the broker from the configuration: NATS when a URL is given, else the
// embedded memory broker.
import type { GatewayConfig } from '../config/gateway-options.js';
import type { Logger } from '../observability/logger.js';
import type { Broker } from './broker.js';
import { MemoryBroker } from './broker-memory.js';
import { NatsBroker } from './broker-nats.js';

export async function createBroker(config: GatewayConfig, logger: Logger): Promise<Broker> {
  if (config.natsUrl) {
    const broker = new NatsBroker({
      servers: natsServers(config.natsUrl),
      name: config.natsStream,
      historySize: config.historySize,
      historyMaxAgeSec: config.historyMaxAgeSec,
      replicas: config.natsReplicas,
      storage: config.natsStorage === 'memory' ? 'memory' : 'file',
      logger,
      connectionName: `odin-gateway ${config.instanceId}`,
    });
    await broker.start();
    return broker;
  }
  const broker = new MemoryBroker({ historySize: config.historySize, historyMaxAgeMs: config.historyMaxAgeSec * 1000 });
  await broker.start();
  return broker;
}

/** `--nats` takes a comma-separated list of servers (members of one cluster). */
export function natsServers(natsUrl: string): string[] {
  return natsUrl
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
