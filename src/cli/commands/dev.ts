// `odin dev` (what `npm start` runs): gateway + memory broker (or NATS with
// --nats) + the publisher engine publishing at once, so a newcomer sees prices
// move. The publisher's control API listens on 127.0.0.1:3003 with a bearer
// token (printed when none is configured), as in `odin publisher`; when that
// port is taken, dev runs without it and says so.
import { gatewayConfigFrom, gatewayOptionTable } from '../../config/gateway-options.js';
import { resolveOptions, type OptionTable } from '../../config/option-parser.js';
import { GATEWAY_GROUPS, groupOptions, renderHelp } from '../help.js';
import { checkSimulation, controlOptionTable, simulationOptionTable } from '../../config/publisher-options.js';
import { resolveControlToken } from '../../publisher/control-token.js';
import type { Logger } from '../../observability/logger.js';
import { Registry } from 'prom-client';
import { startPublisher, type RunningPublisher } from '../../publisher/publisher-runtime.js';
import { settingsFrom, type PublisherSettings } from '../../publisher/publisher-settings.js';
import type { Broker } from '../../broker/broker.js';
import { startGateway, stopOnSignals } from '../gateway-runtime.js';
import { brokerFacts, gatewayFacts, hostPort, simulatorFacts, startLine } from '../start-line.js';

export const devOptionTable = {
  ...simulationOptionTable,
  controlPort: { kind: 'int', flag: 'control-port', env: 'CONTROL_PORT', default: 3003, min: 0, max: 65535, description: 'publisher control API port (0 = any free port)' },
  controlApi: { kind: 'bool', flag: 'control-api', env: 'CONTROL_API', default: true, description: 'serve the publisher control API (skipped with a warning when the port is taken)' },
  controlHost: { kind: 'string', flag: 'control-host', env: 'CONTROL_HOST', default: '127.0.0.1', description: 'address the control API listens on (loopback: only this machine)' },
  ...controlOptionTable,
} satisfies OptionTable;

export function help(): string {
  return renderHelp({
    usage: ['odin dev [options]'],
    description: `Everything in one process, for a first look and for development (npm start
runs it): the gateway on :3004 with its demo page, an embedded memory broker
(or NATS with --nats) and the market simulator publishing prices at once. The
simulator's control API listens on 127.0.0.1:3003; its token is printed at
start unless CONTROL_TOKEN is set.`,
    sections: [
      { title: 'simulator and its control API', table: devOptionTable },
      ...groupOptions(gatewayOptionTable, GATEWAY_GROUPS).map((s) => ({ ...s, title: `gateway: ${s.title}` })),
    ],
    examples: [
      'npx odin dev                          # open http://localhost:3004/',
      'npx odin dev --rate 500 --port 3010   # 500 price updates/s on another port',
      "npx odin dev --default-channels 'token.*.price,market.statistics'   # for reference clients",
    ],
  });
}

export async function run(argv: string[]): Promise<void> {
  const devFlags = Object.values(devOptionTable).map((o) => o.flag);
  const gatewayFlags = Object.values(gatewayOptionTable).map((o) => o.flag);
  const dev = resolveOptions(devOptionTable, argv, process.env, gatewayFlags);
  checkSimulation(dev);
  const config = gatewayConfigFrom(argv, process.env, devFlags);
  const { gateway, broker, logger } = await startGateway(config);
  const settings = settingsFrom(dev);
  const control = resolveControlToken(dev);
  const publisher = await startDevPublisher(
    broker,
    logger,
    settings,
    config.instanceId,
    dev.controlApi ? { port: dev.controlPort, host: dev.controlHost, token: control.token, allowedOrigins: dev.controlAllowedOrigins } : undefined,
  );
  if (dev.rate > 0) publisher.service.start();
  // The start line: what to open first, then what runs where. The control token is printed only when made up at start:
  // a configured token is the operator's to keep.
  const token = publisher.api && control.generated ? control.token : undefined;
  const controlUrl = publisher.api ? `http://${hostPort(dev.controlHost, publisher.api.port)}/control` : undefined;
  const line = startLine(
    'dev',
    { text: `open http://localhost:${gateway.port}/`, fields: { url: `http://localhost:${gateway.port}/` } },
    gatewayFacts(config, gateway),
    brokerFacts(config),
    simulatorFacts({ controlUrl, publishing: dev.rate > 0, rate: dev.rate }),
    ...(token !== undefined ? [{ text: `control token ${token}`, fields: { control_token: token } }] : []),
  );
  logger.info(
    {
      ...line.fields,
      event: 'dev_ready',
      ws: `ws://localhost:${gateway.port}/ws`,
      control: publisher.api ? `http://localhost:${publisher.api.port}/stats` : null,
    },
    line.msg,
  );
  stopOnSignals(logger, async () => {
    await publisher.stop();
    await gateway.stop();
    await broker.close();
  });
}

/** Starts the publisher; when the control port is taken, starts it without the API rather than failing dev. */
async function startDevPublisher(broker: Broker, logger: Logger, settings: PublisherSettings, instanceId: string, control: { port: number; host: string; token: string; allowedOrigins: readonly string[] } | undefined): Promise<RunningPublisher> {
  // Node's default metrics are on the gateway's /metrics already: the control API's /metrics has the publisher's only.
  const base = { broker, logger: logger.child({ component: 'publisher' }), settings, instanceId: `${instanceId}-publisher` };
  try {
    return await startPublisher({ ...base, registry: new Registry(), control });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !control) throw err;
    logger.warn({ event: 'control_api_port_taken', port: control.port }, `port ${control.port} is taken: publisher control API disabled (set --control-port)`);
    return startPublisher({ ...base, registry: new Registry() });
  }
}
