// `odin gateway`: the WebSocket gateway alone (with --workers N: N processes on one port).
// SIGTERM drains it for a deploy; SIGINT stops it at once.
import { gatewayConfigFrom, gatewayOptionTable } from '../../config/gateway-options.js';
import { GATEWAY_GROUPS, groupOptions, renderHelp } from '../help.js';
import { isClusterWorker, runClusterPrimary, workerConfig } from '../gateway-cluster.js';
import { startGateway, stopOnSignals } from '../gateway-runtime.js';
import { brokerFacts, gatewayFacts, startLine } from '../start-line.js';
import { announceDraining, announceUp, onClusterView } from '../../gateway/cluster-protocol.js';

export function help(): string {
  return renderHelp({
    usage: ['odin gateway [options]'],
    description: `The WebSocket gateway alone: clients connect to ws://HOST:PORT/ws, subscribe
to channels and resume by position. Without --nats it serves an embedded memory
broker (one process, nothing survives a restart); with --nats it reads the
JetStream stream that publishers write (nats-server must run with -js).`,
    sections: groupOptions(gatewayOptionTable, GATEWAY_GROUPS),
    examples: [
      'npx odin gateway                                          # memory broker on :3004',
      'nats-server -js -sd /tmp/odin-js &                        # JetStream, storing in /tmp/odin-js',
      'npx odin gateway --nats nats://127.0.0.1:4222 --port 3004',
      'JWT_SECRET="$SECRET" npx odin gateway --auth-required     # only clients with a token (docs/identity.md)',
      'npx odin gateway --nats nats://127.0.0.1:4222 --workers 2 # two processes on one port',
    ],
  });
}

export async function run(argv: string[]): Promise<void> {
  let config = gatewayConfigFrom(argv);
  if (config.workers > 1) {
    if (!isClusterWorker()) {
      runClusterPrimary(config);
      return;
    }
    config = workerConfig(config);
  }
  const { gateway, broker, logger } = await startGateway(config);
  // Only under --expose-gc (`odin bench` scale starts workers so): a full collection on request, so RSS is read without garbage.
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) process.on('SIGUSR2', () => gc());
  if (isClusterWorker()) {
    onClusterView((workers) => gateway.setClusterView(workers));
    announceUp();
  } else {
    const line = startLine('gateway', gatewayFacts(config, gateway), brokerFacts(config));
    logger.info(line.fields, line.msg);
  }
  stopOnSignals(logger, async (signal) => {
    // SIGTERM is a deploy: drain (clients asked to move over --drain-seconds); SIGINT (Ctrl-C) stops at once.
    if (signal === 'SIGTERM') {
      announceDraining();
      await gateway.drain();
    } else {
      await gateway.stop();
    }
    await broker.close();
  });
}
