// `odin dev` (what `npm start` runs): gateway + memory broker + market
// simulator publishing at once, so a newcomer sees prices move.
import { gatewayConfigFrom, gatewayOptionTable } from '../../config/gateway-options.js';
import { describeOptions, resolveOptions, type OptionTable } from '../../config/option-parser.js';
import { MarketSimulator } from '../../publisher/market-simulator.js';
import { startGateway, stopOnSignals } from '../gateway-runtime.js';

const devOptionTable = {
  rate: { kind: 'number', flag: 'rate', env: 'PUBLISH_RATE', default: 20, min: 0, max: 100_000, description: 'simulator messages per second (0 = do not publish)' },
  tokens: { kind: 'list', flag: 'tokens', env: 'TOKENS', default: ['BTC', 'ETH', 'ODIN', 'SOL', 'DOGE'], description: 'simulated tokens' },
  statisticsIntervalMs: { kind: 'int', flag: 'statistics-interval-ms', env: 'STATISTICS_INTERVAL_MS', default: 30_000, min: 100, description: 'market statistics period' },
} satisfies OptionTable;

export async function run(argv: string[]): Promise<void> {
  if (argv.includes('--help')) {
    process.stdout.write(`usage: odin dev [options]\n\n${describeOptions(devOptionTable)}\n${describeOptions(gatewayOptionTable)}\n`);
    return;
  }
  const devFlags = Object.values(devOptionTable).map((o) => o.flag);
  const gatewayFlags = Object.values(gatewayOptionTable).map((o) => o.flag);
  const dev = resolveOptions(devOptionTable, argv, process.env, gatewayFlags);
  const config = gatewayConfigFrom(argv, process.env, devFlags);
  const { gateway, broker, logger } = await startGateway(config);
  const simulator = new MarketSimulator(broker, { tokens: dev.tokens, messagesPerSecond: dev.rate, statisticsIntervalMs: dev.statisticsIntervalMs });
  if (dev.rate > 0) simulator.start();
  logger.info({ event: 'dev_ready', url: `http://localhost:${gateway.port}/`, ws: `ws://localhost:${gateway.port}/ws`, rate: dev.rate }, `Odin dev: open http://localhost:${gateway.port}/`);
  stopOnSignals(logger, async () => {
    simulator.stop();
    await gateway.stop();
    await broker.close();
  });
}
