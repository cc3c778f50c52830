// Starts a real gateway on a free port, in this process, with a memory broker
// (or a broker the test supplies), and stops it afterwards. /metrics is not
// cached (metricsCacheMs 0) so that a test reads the counters it just moved.
import { MemoryBroker } from '../../src/broker/broker-memory.js';
import { historyMaxBytesFor } from '../../src/broker/create-broker.js';
import type { Broker } from '../../src/broker/broker.js';
import { defaultGatewayConfig, type GatewayConfig } from '../../src/config/gateway-options.js';
import { OdinGateway } from '../../src/gateway/gateway-server.js';
import { createLogger } from '../../src/observability/logger.js';
import { listenThenStartBroker } from '../../src/cli/gateway-runtime.js';

export interface GatewayHarness {
  gateway: OdinGateway;
  broker: Broker;
  port: number;
  url: string;
  httpUrl: string;
  stop(): Promise<void>;
}

function testGatewayConfig(overrides: Partial<GatewayConfig>): GatewayConfig {
  // Tests name channels of their own (a.b, wide.>, ...): `>` carries any name; channel-families.test.ts checks the default.
  return defaultGatewayConfig({ port: 0, host: '127.0.0.1', channelFamilies: ['>'], logLevel: process.env.TEST_LOG_LEVEL ?? 'silent', shutdownTimeoutMs: 2000, metricsCacheMs: 0, ...overrides });
}

export async function startTestGateway(overrides: Partial<GatewayConfig> = {}, broker?: Broker): Promise<GatewayHarness> {
  const config = testGatewayConfig(overrides);
  const b = broker ?? new MemoryBroker({ historySize: config.historySize, historyMaxAgeMs: config.historyMaxAgeSec * 1000, historyMaxBytes: historyMaxBytesFor(config) });
  await b.start();
  const gateway = new OdinGateway(config, { broker: b, logger: createLogger(config.logLevel) });
  return harnessOf(gateway, b, await gateway.start(), !broker);
}

/**
 * As `odin gateway` starts: the gateway listens first, then its broker
 * starts (retrying transient JetStream errors while /readyz says why).
 * Resolves once listening; `brokerStarted` settles with the broker's start.
 */
export async function startTestGatewayListeningFirst(broker: Broker, overrides: Partial<GatewayConfig> = {}): Promise<{ harness: GatewayHarness; brokerStarted: Promise<void> }> {
  const config = testGatewayConfig(overrides);
  const { gateway, brokerStarted } = await listenThenStartBroker(config, broker, createLogger(config.logLevel));
  // Handled by whoever awaits it; unhandled here it would end the test process.
  brokerStarted.catch(() => undefined);
  return { harness: harnessOf(gateway, broker, gateway.port, false), brokerStarted };
}

function harnessOf(gateway: OdinGateway, b: Broker, port: number, ownsBroker: boolean): GatewayHarness {
  return {
    gateway,
    broker: b,
    port,
    url: `ws://127.0.0.1:${port}/ws`,
    httpUrl: `http://127.0.0.1:${port}`,
    async stop() {
      await gateway.stop();
      if (ownsBroker) await b.close();
    },
  };
}
