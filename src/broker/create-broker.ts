// Picks the broker from the configuration: NATS when a URL is given, else the
// embedded memory broker. Gateways and publishers share this: both check the
// stream against the same settings, and the one with --stream-owner applies them.
import type { NatsCredentialSettings } from '../config/nats-credentials.js';
import type { Logger } from '../observability/logger.js';
import type { Broker } from './broker.js';
import { memoryBudget } from '../gateway/memory-budget.js';
import { MemoryBroker } from './broker-memory.js';
import { NatsBroker } from './broker-nats.js';
import { natsAuthOptions } from './nats-auth.js';
import { StreamConfigMismatchError, type DefaultableStreamLimit } from './nats-stream-setup.js';
import { ConfigError } from '../config/option-parser.js';

/** The settings a broker needs; GatewayConfig and PublisherConfig both carry them. */
export interface BrokerSettings extends Partial<NatsCredentialSettings> {
  natsUrl: string | undefined;
  natsStream: string;
  natsReplicas: number;
  natsStorage: string;
  historySize: number;
  historyMaxAgeSec: number;
  /** The history limits that were not given (defaults): over NATS an existing stream's value of them is adopted. */
  historyDefaulted?: readonly DefaultableStreamLimit[];
  /** Memory broker: bytes of history kept at most; 0 or absent = a quarter of the memory budget. */
  historyMaxBytes?: number;
  /** The memory budget in MiB (0 = cgroup limit, else the default), for the default history byte bound. */
  memoryLimitMb?: number;
  /** This process owns the NATS stream's configuration (nats-stream-setup.ts); absent = it only verifies. */
  streamOwner?: boolean;
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

/** Builds and starts the broker (a publisher's way: it has no /readyz to show a slow start). */
export async function createBroker(settings: BrokerSettings, logger: Logger, role: BrokerRole = { role: 'gateway', consume: true }): Promise<Broker> {
  const broker = buildBroker(settings, logger, role);
  await startBroker(broker);
  return broker;
}

/** The broker, not started: a gateway listens first, so /readyz can say why a start takes long. */
export function buildBroker(settings: BrokerSettings, logger: Logger, role: BrokerRole = { role: 'gateway', consume: true }): Broker {
  return settings.natsUrl
    ? new NatsBroker({
        servers: natsServers(settings.natsUrl),
        name: settings.natsStream,
        historySize: settings.historySize,
        historyMaxAgeSec: settings.historyMaxAgeSec,
        replicas: settings.natsReplicas,
        storage: settings.natsStorage === 'memory' ? 'memory' : 'file',
        owner: settings.streamOwner === true,
        ...(settings.historyDefaulted !== undefined ? { defaulted: settings.historyDefaulted } : {}),
        logger,
        connectionName: `odin-${role.role} ${settings.instanceId}`,
        consume: role.consume,
        ...(settings.maxChannels !== undefined ? { maxChannels: settings.maxChannels } : {}),
        ...(settings.natsLagCheckMs !== undefined ? { lagCheckMs: settings.natsLagCheckMs } : {}),
        ...(settings.natsLagWindowMs !== undefined ? { lagWindowMs: settings.natsLagWindowMs } : {}),
        connectOptions: natsAuthOptions(settings),
      })
    : new MemoryBroker({
        historySize: settings.historySize,
        historyMaxAgeMs: settings.historyMaxAgeSec * 1000,
        historyMaxBytes: historyMaxBytesFor(settings),
        ...(settings.maxChannels !== undefined ? { maxChannels: settings.maxChannels } : {}),
      });
}

/** Starts a broker; transient JetStream errors are retried inside (broker-nats.ts), a configuration mismatch is not. */
export async function startBroker(broker: Broker): Promise<void> {
  try {
    await broker.start();
  } catch (err) {
    // A stream that differs from this process's settings is a configuration error: `odin` says so and exits 2, no stack.
    if (err instanceof StreamConfigMismatchError) throw new ConfigError(err.message);
    throw err;
  }
}

/** `--nats` takes a comma-separated list of servers (members of one cluster). */
export function natsServers(natsUrl: string): string[] {
  return natsUrl
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** The memory broker's history byte bound: as configured, else a quarter of the memory budget. */
export function historyMaxBytesFor(settings: Pick<BrokerSettings, 'historyMaxBytes' | 'memoryLimitMb'>): number {
  if (settings.historyMaxBytes !== undefined && settings.historyMaxBytes > 0) return settings.historyMaxBytes;
  return Math.floor(memoryBudget(settings.memoryLimitMb ?? 0).limitBytes / 4);
}
