// Starts a real gateway on a free port, in this process, with a memory broker
// (or a broker the test supplies), and stops it afterwards. /metrics is not
// cached (metricsCacheMs 0) so that a test reads the counters it just moved.
import { MemoryBroker } from '../../src/broker/broker-memory.js';
import { historyMaxBytesFor } from '../../src/broker/create-broker.js';
import type { Broker } from '../../src/broker/broker.js';
import { defaultGatewayConfig, type GatewayConfig } from '../../src/config/gateway-options.js';
import { OdinGateway } from '../../src/gateway/gateway-server.js';
import { createLogger } from '../../src/observability/logger.js';

export interface GatewayHarness {
  gateway: OdinGateway;
  broker: Broker;
  port: number;
  url: string;
  httpUrl: string;
  stop(): Promise<void>;
}

export async function startTestGateway(overrides: Partial<GatewayConfig> = {}, broker?: Broker): Promise<GatewayHarness> {
  const config = defaultGatewayConfig({ port: 0, host: '127.0.0.1', logLevel: process.env.TEST_LOG_LEVEL ?? 'silent', shutdownTimeoutMs: 2000, metricsCacheMs: 0, ...overrides });
  const b = broker ?? new MemoryBroker({ historySize: config.historySize, historyMaxAgeMs: config.historyMaxAgeSec * 1000, historyMaxBytes: historyMaxBytesFor(config) });
  await b.start();
  const gateway = new OdinGateway(config, { broker: b, logger: createLogger(config.logLevel) });
  const port = await gateway.start();
  return {
    gateway,
    broker: b,
    port,
    url: `ws://127.0.0.1:${port}/ws`,
    httpUrl: `http://127.0.0.1:${port}`,
    async stop() {
      await gateway.stop();
      if (!broker) await b.close();
    },
  };
}
