// Picks the broker from the configuration: NATS when a URL is given, else the
// embedded memory broker. Gateways and publishers share this, so both apply
// the same stream settings (the stream is theirs together).
import type { NatsCredentialSettings } from '../config/nats-credentials.js';
import type { Logger } from '../observability/logger.js';
import type { Broker } from './broker.js';
import { MemoryBroker } from './broker-memory.js';
import { NatsBroker } from './broker-nats.js';
import { natsAuthOptions } from './nats-auth.js';

/** The settings a broker needs; GatewayConfig and PublisherConfig both carry them. */
export interface BrokerSettings extends Partial<NatsCredentialSettings> {
  natsUrl: string | undefined;
  natsStream: string;
  natsReplicas: number;
  natsStorage: string;
  historySize: number;
  historyMaxAgeSec: number;
  instanceId: string;
  /** Gateway only (a publisher tracks no channels and has no live consumer). */
  maxChannels?: number;
  natsLagCheckMs?: number;
  natsLagWindowMs?: number;
}

export interface BrokerRole {
  /** Shown in NATS connection names. */
  role: 'gateway' | 'publisher';
  /** false for a publish-only NATS broker: no live consumer, since a publisher reads nothing back. */
  consume: boolean;
}

export async function createBroker(settings: BrokerSettings, logger: Logger, role: BrokerRole = { role: 'gateway', consume: true }): Promise<Broker> {
  const broker = settings.natsUrl
    ? new NatsBroker({
        servers: natsServers(settings.natsUrl),
        name: settings.natsStream,
        historySize: settings.historySize,
        historyMaxAgeSec: settings.historyMaxAgeSec,
        replicas: settings.natsReplicas,
        storage: settings.natsStorage === 'memory' ? 'memory' : 'file',
        logger,
        connectionName: `odin-${role.role} ${settings.instanceId}`,
        consume: role.consume,
        ...(settings.maxChannels !== undefined ? { maxChannels: settings.maxChannels } : {}),
        ...(settings.natsLagCheckMs !== undefined ? { lagCheckMs: settings.natsLagCheckMs } : {}),
        ...(settings.natsLagWindowMs !== undefined ? { lagWindowMs: settings.natsLagWindowMs } : {}),
        connectOptions: natsAuthOptions(settings),
      })
    : new MemoryBroker({ historySize: settings.historySize, historyMaxAgeMs: settings.historyMaxAgeSec * 1000, ...(settings.maxChannels !== undefined ? { maxChannels: settings.maxChannels } : {}) });
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
