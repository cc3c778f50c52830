// `odin gateway`: the WebSocket gateway alone (with --workers N: N processes on one port).
// SIGTERM drains it for a deploy; SIGINT stops it at once.
import { gatewayConfigFrom, gatewayOptionTable } from '../../config/gateway-options.js';
import { describeOptions } from '../../config/option-parser.js';
import { isClusterWorker, runClusterPrimary, workerConfig } from '../gateway-cluster.js';
import { startGateway, stopOnSignals } from '../gateway-runtime.js';
import { announceDraining, onClusterView } from '../../gateway/cluster-protocol.js';

export async function run(argv: string[]): Promise<void> {
  if (argv.includes('--help')) {
    process.stdout.write(`usage: odin gateway [options]\n\n${describeOptions(gatewayOptionTable)}\n`);
    return;
  }
  let config = gatewayConfigFrom(argv);
  if (config.workers > 1) {
    if (!isClusterWorker()) {
      runClusterPrimary(config);
      return;
    }
    config = workerConfig(config);
  }
  const { gateway, broker, logger } = await startGateway(config);
  if (isClusterWorker()) onClusterView((workers) => gateway.setClusterView(workers));
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
