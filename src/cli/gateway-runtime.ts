// Starts a gateway with its broker and wires process signals: the stop
// callback learns which signal came (`odin gateway` drains on SIGTERM and
// stops at once on SIGINT), then the process exits 0.
import { buildBroker, startBroker } from '../broker/create-broker.js';
import type { Broker } from '../broker/broker.js';
import { gatewayOptionTable, type GatewayConfig } from '../config/gateway-options.js';
import { controlOptionTable } from '../config/publisher-options.js';
import { OdinGateway } from '../gateway/gateway-server.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { warnAboutSecretFlags } from './secret-flags.js';
import { listenFailure, natsFailure } from './start-failure.js';

export interface RunningGateway {
  gateway: OdinGateway;
  broker: Broker;
  logger: Logger;
}

/** Resolves once the gateway listens and its broker runs; a broker that cannot start (a configuration mismatch) stops the gateway and rejects. */
export async function startGateway(config: GatewayConfig): Promise<RunningGateway> {
  const logger = createLogger(config.logLevel, { instance: config.instanceId }, config.logFormat);
  // odin dev takes the simulator's control options too (--control-token).
  warnAboutSecretFlags(logger, { ...gatewayOptionTable, ...controlOptionTable });
  const broker = buildBroker(config, logger);
  let started: { gateway: OdinGateway; brokerStarted: Promise<void> };
  try {
    started = await listenThenStartBroker(config, broker, logger);
  } catch (err) {
    // The broker was built, not started: nothing to close.
    throw listenFailure(err, [
      { port: config.port, host: config.host, option: '--port/PORT', hostOption: '--host/HOST' },
      { port: config.metricsPort, host: config.metricsHost, option: '--metrics-port/METRICS_PORT', hostOption: '--metrics-host/METRICS_HOST' },
      { port: config.apiPort, host: config.apiHost, option: '--api-port/API_PORT', hostOption: '--api-host/API_HOST' },
    ]) ?? err;
  }
  await started.brokerStarted.catch((err: unknown) => {
    throw natsFailure(err, config.natsUrl) ?? err;
  });
  return { gateway: started.gateway, broker, logger };
}

/**
 * Listens first, then starts the broker: while it starts (transient
 * JetStream errors on a forming cluster are retried with backoff), /readyz
 * answers 503 `broker_starting` with the reason and upgrades are refused.
 * `brokerStarted` rejects, with the gateway stopped, when the broker cannot
 * start at all.
 */
export async function listenThenStartBroker(config: GatewayConfig, broker: Broker, logger: Logger): Promise<{ gateway: OdinGateway; brokerStarted: Promise<void> }> {
  const gateway = new OdinGateway(config, { broker, logger });
  await gateway.start();
  const brokerStarted = startBroker(broker).catch(async (err: unknown) => {
    await gateway.stop();
    throw err;
  });
  return { gateway, brokerStarted };
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
