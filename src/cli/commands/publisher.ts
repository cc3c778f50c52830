// `odin publisher`: the market simulator as its own process, with the control
// API on port 3003. Publishes to NATS/JetStream with --nats (else to an
// embedded memory broker, useful only for trying the API). Waits for
// `POST /control {"action":"start"}` unless --autostart.
import { describeOptions } from '../../config/option-parser.js';
import { publisherConfigFrom, publisherOptionTable } from '../../config/publisher-options.js';
import { createLogger } from '../../observability/logger.js';
import { createRegistry } from '../../observability/metrics.js';
import { createPublisherBroker } from '../../publisher/publisher-broker.js';
import { resolveControlToken } from '../../publisher/control-token.js';
import { startPublisher } from '../../publisher/publisher-runtime.js';
import { settingsFrom } from '../../publisher/publisher-settings.js';
import { stopOnSignals } from '../gateway-runtime.js';
import { warnAboutSecretFlags } from '../secret-flags.js';

export async function run(argv: string[]): Promise<void> {
  if (argv.includes('--help')) {
    process.stdout.write(`usage: odin publisher [options]\n\n${describeOptions(publisherOptionTable)}\n`);
    return;
  }
  const config = publisherConfigFrom(argv);
  const logger = createLogger(config.logLevel, { instance: config.instanceId, component: 'publisher' });
  warnAboutSecretFlags(logger);
  const control = resolveControlToken(config);
  const broker = await createPublisherBroker(config, logger);
  if (broker.kind === 'memory') {
    logger.warn({ event: 'publisher_memory_broker' }, 'no --nats/NATS_URL: publishing into a private memory broker that no gateway reads');
  }
  const publisher = await startPublisher({
    broker,
    logger,
    registry: createRegistry(),
    settings: settingsFrom(config),
    instanceId: config.instanceId,
    control: { port: config.port, host: config.host, token: control.token, allowedOrigins: config.controlAllowedOrigins },
  });
  if (control.generated) {
    // Printed once so that a first run works; a deployment sets CONTROL_TOKEN or CONTROL_TOKEN_FILE.
    logger.warn({ event: 'control_token_generated', control_token: control.token }, `no control token configured: POST /control needs Authorization: Bearer ${control.token}`);
  }
  if (config.autostart) publisher.service.start();
  else logger.info({ event: 'publisher_waiting', port: publisher.api?.port }, `waiting for POST http://localhost:${publisher.api?.port}/control {"action":"start"}`);
  stopOnSignals(logger, async () => {
    await publisher.stop();
    await broker.close();
  });
}
