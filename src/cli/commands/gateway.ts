// `odin gateway`: the WebSocket gateway alone (with --workers N: N processes on one port).
import { gatewayConfigFrom, gatewayOptionTable } from '../../config/gateway-options.js';
import { describeOptions } from '../../config/option-parser.js';
import { isClusterWorker, runClusterPrimary, workerConfig } from '../gateway-cluster.js';
import { startGateway, stopOnSignals } from '../gateway-runtime.js';

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
  stopOnSignals(logger, async () => {
    await gateway.stop();
    await broker.close();
  });
}
