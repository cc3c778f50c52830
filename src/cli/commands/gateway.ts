// `odin gateway`: the WebSocket gateway alone.
import { gatewayConfigFrom, gatewayOptionTable } from '../../config/gateway-options.js';
import { describeOptions } from '../../config/option-parser.js';
import { startGateway, stopOnSignals } from '../gateway-runtime.js';

export async function run(argv: string[]): Promise<void> {
  if (argv.includes('--help')) {
    process.stdout.write(`usage: odin gateway [options]\n\n${describeOptions(gatewayOptionTable)}\n`);
    return;
  }
  const config = gatewayConfigFrom(argv);
  const { gateway, broker, logger } = await startGateway(config);
  stopOnSignals(logger, async () => {
    await gateway.stop();
    await broker.close();
  });
}
