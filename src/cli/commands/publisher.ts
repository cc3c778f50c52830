// `odin publisher`: the market simulator as its own process, with the control
// API on port 3003. Publishes to NATS/JetStream with --nats (else to an
// embedded memory broker, useful only for trying the API). Waits for
// `POST /control {"action":"start"}` unless --autostart.
import { groupOptions, renderHelp } from '../help.js';
import { publisherConfigFrom, publisherOptionTable, simulationOptionTable, type PublisherConfig } from '../../config/publisher-options.js';
import { createLogger } from '../../observability/logger.js';
import { createRegistry } from '../../observability/metrics.js';
import { createPublisherBroker } from '../../publisher/publisher-broker.js';
import { resolveControlToken } from '../../publisher/control-token.js';
import { startPublisher } from '../../publisher/publisher-runtime.js';
import { settingsFrom } from '../../publisher/publisher-settings.js';
import { stopOnSignals } from '../gateway-runtime.js';
import { brokerFacts, hostPort, simulatorFacts, startLine, type StartFacts } from '../start-line.js';
import { warnAboutSecretFlags } from '../secret-flags.js';
import { listenFailure, natsFailure } from '../start-failure.js';

export function help(): string {
  return renderHelp({
    usage: ['odin publisher [options]'],
    description: `The market simulator as its own process: price ticks on token.<TOKEN>.price,
market.statistics and user trades on trades.user.<id>, published into NATS
JetStream (--nats; or through a gateway's server API with --via-api). Its
control API (start, stop, configure, stats) listens on 127.0.0.1:3003; it waits
for POST /control {"action":"start"} unless --autostart (docs/publisher.md).`,
    sections: groupOptions(publisherOptionTable, [
      { title: 'control API', has: (f) => ['port', 'host', 'autostart'].includes(f) || f.startsWith('control') },
      { title: 'simulation', has: (f) => Object.values(simulationOptionTable).some((o) => o.flag === f) },
      { title: 'where to publish (NATS or a gateway\'s server API)', has: (f) => f.startsWith('nats') || f.startsWith('history') || f === 'via-api' || f === 'api-key' },
    ]),
    examples: [
      'npx odin publisher --nats nats://127.0.0.1:4222 --autostart --rate 100',
      'npx odin publisher --nats nats://127.0.0.1:4222       # waits for POST /control; prints a control token',
      'ODIN_API_KEY="$KEY" npx odin publisher --via-api http://127.0.0.1:3004 --autostart',
    ],
  });
}

export async function run(argv: string[]): Promise<void> {
  const config = publisherConfigFrom(argv);
  // The root logger has no component: the NATS broker's lines add their own (component once per line).
  const root = createLogger(config.logLevel, { instance: config.instanceId }, config.logFormat);
  const logger = root.child({ component: 'publisher' });
  warnAboutSecretFlags(logger, publisherOptionTable);
  const control = resolveControlToken(config);
  const broker = await createPublisherBroker(config, root).catch((err: unknown) => {
    throw natsFailure(err, config.natsUrl) ?? err;
  });
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
  }).catch(async (err: unknown) => {
    await broker.close().catch(() => undefined);
    throw listenFailure(err, [{ port: config.port, host: config.host, option: '--port/PORT', hostOption: '--host/HOST' }]) ?? err;
  });
  if (control.generated) {
    // Printed once so that a first run works; a deployment sets CONTROL_TOKEN or CONTROL_TOKEN_FILE.
    logger.warn({ event: 'control_token_generated', control_token: control.token }, `no control token configured: POST /control needs Authorization: Bearer ${control.token}`);
  }
  if (config.autostart) publisher.service.start();
  const line = startLine(
    'publisher',
    simulatorFacts({ controlUrl: `http://${hostPort(config.host, publisher.api?.port)}/control`, publishing: config.autostart, rate: config.rate }),
    publishTargetFacts(config),
  );
  logger.info(line.fields, line.msg);
  stopOnSignals(logger, async () => {
    await publisher.stop();
    await broker.close();
  });
}

/** Where this publisher's messages go: NATS, a gateway's server API, or a memory broker no gateway reads. */
function publishTargetFacts(config: PublisherConfig): StartFacts {
  if (config.viaApi !== undefined) return { text: `into the server API of ${config.viaApi}`, fields: { broker: 'api', via_api: config.viaApi } };
  if (config.natsUrl === undefined) return { text: 'into a private memory broker that no gateway reads', fields: { broker: 'memory' } };
  return brokerFacts(config);
}
