// Heap cost of channel state in the memory broker: publishes one message on
// each of <names> new channels into a MemoryBroker (history size 1000) with
// at most <maxChannels> channels, and prints the heap growth after GC.
// Usage (after `npm run build`): node --expose-gc scripts/channel-heap.mjs <maxChannels> <names>
import { MemoryBroker } from '../dist/src/broker/broker-memory.js';

const [maxChannels, names] = process.argv.slice(2).map(Number);
if (!maxChannels || !names || typeof globalThis.gc !== 'function') {
  console.error('usage: node --expose-gc scripts/channel-heap.mjs <maxChannels> <names>');
  process.exit(2);
}
const broker = new MemoryBroker({ historySize: 1000, historyMaxAgeMs: 600_000, maxChannels });
globalThis.gc();
const before = process.memoryUsage().heapUsed;
for (let i = 0; i < names; i++) broker.publishNow(`token.N${i}.price`, { type: 'price:update', tokenId: `N${i}`, price: 1.5 + i });
globalThis.gc();
const after = process.memoryUsage().heapUsed;
const { channels, channelsEvicted } = broker.stats();
console.log(JSON.stringify({ maxChannels, names, tracked: channels, evicted: channelsEvicted, heapDeltaMiB: Number(((after - before) / 1048576).toFixed(1)) }));
