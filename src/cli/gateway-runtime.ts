// Starts a gateway with its broker and wires process signals: the stop
// callback learns which signal came (`odin gateway` drains on SIGTERM and
// stops at once on SIGINT), then the process exits 0.
import { createBroker } from '../broker/create-broker.js';
import type { Broker } from '../broker/broker.js';
import type { GatewayConfig } from '../config/gateway-options.js';
import { OdinGateway } from '../gateway/gateway-server.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { warnAboutSecretFlags } from './secret-flags.js';
import { listenFailure, natsFailure } from './start-failure.js';

export interface RunningGateway {
  gateway: OdinGateway;
  broker: Broker;
  logger: Logger;
}

export async function startGateway(config: GatewayConfig): Promise<RunningGateway> {
  const logger = createLogger(config.logLevel, { instance: config.instanceId });
  warnAboutSecretFlags(logger);
  const broker = await createBroker(config, logger).catch((err: unknown) => {
    throw natsFailure(err, config.natsUrl) ?? err;
  });
  const gateway = new OdinGateway(config, { broker, logger });
  try {
    await gateway.start();
  } catch (err) {
    await broker.close().catch(() => undefined);
    throw listenFailure(err, [
      { port: config.port, host: config.host, option: '--port/PORT', hostOption: '--host/HOST' },
      { port: config.metricsPort, host: config.metricsHost, option: '--metrics-port/METRICS_PORT', hostOption: '--metrics-host/METRICS_HOST' },
      { port: config.apiPort, host: config.apiHost, option: '--api-port/API_PORT', hostOption: '--api-host/API_HOST' },
    ]) ?? err;
  }
  return { gateway, broker, logger };
}

export function stopOnSignals(logger: Logger, stop: (signal: NodeJS.Signals) => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: 'signal', signal }, `received ${signal}`);
    stop(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ event: 'shutdown_failed', err: String(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
