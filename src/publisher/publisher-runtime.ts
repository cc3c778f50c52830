// Wires a publisher engine to its control API and metrics registry. Used by
// `odin publisher` (own process, own broker) and `odin dev` (shares the
// gateway's broker).
import type { Registry } from 'prom-client';
import type { Broker } from '../broker/broker.js';
import type { Logger } from '../observability/logger.js';
import { ControlApi } from './control-api.js';
import { PublisherService } from './publisher-service.js';
import type { PublisherSettings } from './publisher-settings.js';

export interface PublisherRuntimeOptions {
  broker: Broker;
  logger: Logger;
  registry: Registry;
  settings: PublisherSettings;
  instanceId: string;
  /** Where the control API listens and who may drive it; undefined = no control API. */
  control?: { port: number; host: string; token: string; allowedOrigins?: readonly string[] };
}

export interface RunningPublisher {
  service: PublisherService;
  api: ControlApi | undefined;
  stop(): Promise<void>;
}

export async function startPublisher(options: PublisherRuntimeOptions): Promise<RunningPublisher> {
  const { broker, logger, registry } = options;
  const service = new PublisherService({ broker, logger, registry, instanceId: options.instanceId }, options.settings);
  let api: ControlApi | undefined;
  if (options.control) {
    api = new ControlApi({ ...options.control, service, broker, registry, logger });
    await api.start();
  }
  return {
    service,
    api,
    async stop() {
      await api?.stop();
      await service.close();
    },
  };
}
