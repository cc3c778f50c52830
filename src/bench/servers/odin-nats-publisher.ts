// Bench publisher child for Odin over NATS run as its own gateway processes
// (the scale course's `odin gateway --workers N`): publishes through a
// publish-only NATS broker into the gateways' JetStream stream, as `odin
// publisher` does. Arguments: the nats-server URL, the stream name, then the
// gateway port to report as ready.
import { createBroker } from '../../broker/create-broker.js';
import { defaultGatewayConfig } from '../../config/gateway-options.js';
import { createLogger } from '../../observability/logger.js';
import { sendToParent, serveParent } from '../server-ipc.js';
import type { PriceTick } from '../price-tick.js';

async function main(): Promise<void> {
  const [natsUrl, natsStream, port] = process.argv.slice(2);
  // The gateways' own defaults, so the stream settings agree (a publisher never changes the stream).
  const config = defaultGatewayConfig({ natsUrl: natsUrl!, natsStream: natsStream!, natsStorage: 'memory', instanceId: 'bench-publisher', logLevel: 'silent' });
  const broker = await createBroker(config, createLogger('silent'), { role: 'publisher', consume: false });
  let lastSeq = 0;
  const publish = (channel: string, tick: PriceTick): void => {
    broker.publish(channel, tick).then(
      (p) => (lastSeq = Math.max(lastSeq, p.seq)),
      () => undefined,
    );
  };
  serveParent(publish, { beforeBurst: () => ({ before: lastSeq, epoch: broker.epoch() }) });
  sendToParent({ type: 'ready', port: Number(port) });
}

main().catch((err: unknown) => {
  sendToParent({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
