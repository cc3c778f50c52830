// Bench publisher child for nats-server's WebSocket listener: publishes over
// plain NATS TCP to `odin.<channel>`, as Odin's publisher would. Argument:
// the nats-server TCP URL, then the WebSocket port to report as ready.
import { connect } from '@nats-io/transport-node';
import { sendToParent, serveParent } from '../server-ipc.js';
import type { PriceTick } from '../price-tick.js';

async function main(): Promise<void> {
  const [url, wsPort] = process.argv.slice(2);
  const nc = await connect({ servers: url!, name: 'odin-bench-publisher' });
  const publish = (channel: string, tick: PriceTick): void => nc.publish(`odin.${channel}`, JSON.stringify(tick));
  serveParent(publish);
  sendToParent({ type: 'ready', port: Number(wsPort) });
}

main().catch((err: unknown) => {
  sendToParent({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
