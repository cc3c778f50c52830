// Bench server child: Odin's gateway with its broker in one process, fed by
// the shared publish pacer. Memory broker: `publishNow`, synchronously, as the
// embedded simulator does. With `--nats URL`: the NATS broker, publishing
// through it (skipped by the bench when this build has no NATS broker).
import { MemoryBroker } from '../../broker/broker-memory.js';
import { createBroker } from '../../broker/create-broker.js';
import { defaultGatewayConfig } from '../../config/gateway-options.js';
import { OdinGateway } from '../../gateway/gateway-server.js';
import { createLogger } from '../../observability/logger.js';
import { sendToParent, serveParent } from '../server-ipc.js';
import { priceTick, type PriceTick } from '../price-tick.js';

/** Publishes in flight at once during a NATS burst. */
const BURST_WINDOW = 1000;
import { BookModel } from '../../publisher/book-model.js';

/** The value after `flag` in this process's arguments. */
function argument(flag: string): string | undefined {
  const at = process.argv.indexOf(flag);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

async function main(): Promise<void> {
  const natsUrl = argument('--nats');
  // The slow-consumers scenario runs the gateway with a slow-client policy and byte budget of its own.
  const slowClient = argument('--slow-client') as 'close' | 'conflate' | undefined;
  const maxQueueBytes = argument('--max-queue-bytes');
  // The resume course keeps as many messages per channel as its largest backlog, over NATS on file storage.
  const historySize = argument('--history-size');
  const natsStorage = (argument('--nats-storage') ?? 'memory') as 'file' | 'memory';
  const config = defaultGatewayConfig({
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    maxConnections: 200_000,
    shutdownTimeoutMs: 0,
    instanceId: 'bench',
    // The resume measurement's channel is bench.resume, no documented family.
    channelFamilies: ['>'],
    // The resume measurement re-subscribes hundreds of times on one connection.
    rateLimitBurst: 100_000,
    rateLimitPerSec: 100_000,
    ...(slowClient ? { slowClient } : {}),
    ...(maxQueueBytes ? { maxQueueBytes: Number(maxQueueBytes) } : {}),
    ...(historySize ? { historySize: Number(historySize) } : {}),
    ...(natsUrl ? { natsUrl, natsStream: `BENCH${process.pid}`, natsStorage } : {}),
  });
  const logger = createLogger('silent');
  const broker = await createBroker(config, logger);
  const gateway = new OdinGateway(config, { broker, logger });
  const port = await gateway.start();
  let lastSeq = 0;
  // The books scenario's channels (book.T<i>) carry the simulator's book messages, its mid following the tick's price.
  const books = new Map<string, BookModel>();
  const payloadFor = (channel: string, tick: PriceTick): unknown => {
    if (!channel.startsWith('book.')) return tick;
    let model = books.get(channel);
    if (!model) books.set(channel, (model = new BookModel(tick.price)));
    return model.step(tick.price);
  };
  const publish =
    broker instanceof MemoryBroker
      ? (channel: string, tick: PriceTick): void => {
          lastSeq = broker.publishNow(channel, payloadFor(channel, tick)).seq;
        }
      : (channel: string, tick: PriceTick): void => {
          broker.publish(channel, payloadFor(channel, tick)).then(
            (p) => (lastSeq = Math.max(lastSeq, p.seq)),
            () => undefined,
          );
        };
  const counterValue = async (counter: { get(): Promise<{ values: Array<{ value: number }> }> }): Promise<number> => (await counter.get()).values[0]?.value ?? 0;
  serveParent(publish, {
    beforeBurst: () => ({ before: lastSeq, epoch: broker.epoch() }),
    burst: async (pacer, channel, count) => {
      const before = lastSeq;
      if (broker instanceof MemoryBroker) {
        pacer.burst(channel, count);
        return { before, epoch: broker.epoch(), last: lastSeq };
      }
      // Over NATS: every message stored (acknowledged), then taken in by this
      // gateway's live consumer, as after a real absence; a resume then reads them from the stream.
      let last = before;
      for (let n = 1; n <= count; n += BURST_WINDOW) {
        const acks = await Promise.all(Array.from({ length: Math.min(BURST_WINDOW, count - n + 1) }, (_, i) => broker.publish(channel, priceTick(channel, n + i))));
        for (const a of acks) last = Math.max(last, a.seq);
      }
      lastSeq = Math.max(lastSeq, last);
      const deadline = Date.now() + 60_000;
      while (((await broker.latest(channel)).messages[0]?.seq ?? 0) < last) {
        if (Date.now() > deadline) throw new Error(`the live consumer did not take in seq ${last} within 60 s`);
        await new Promise((r) => setTimeout(r, 5));
      }
      return { before, epoch: broker.epoch(), last };
    },
    slowStats: async () => ({ conflated: await counterValue(gateway.metrics.slowClientsConflated), closed: await counterValue(gateway.metrics.slowClientsDisconnected), active: await counterValue(gateway.metrics.connectionsActive) }),
  });
  sendToParent({ type: 'ready', port });
}

main().catch((err: unknown) => {
  sendToParent({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
