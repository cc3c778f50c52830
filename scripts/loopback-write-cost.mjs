// What one socket write costs on this machine, with no server logic at all:
// N loopback TCP connections (readers in a child process), then the same
// 355-byte buffer (the size of an Odin price message) written once to each,
// as a fan-out does, 200 times. Prints the median time of one fan-out and of
// one write. BENCHMARKS.md compares Odin's own fan-out with this floor.
//
//   node scripts/loopback-write-cost.mjs [connections=500] [bytes=355]
import { fork } from 'node:child_process';
import net from 'node:net';

const [connections = 500, bytes = 355] = process.argv.slice(2, 4).map(Number);

if (process.argv[2] === 'readers') {
  const port = Number(process.argv[3]);
  const count = Number(process.argv[4]);
  let open = 0;
  for (let i = 0; i < count; i++) {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    socket.on('data', () => undefined);
    socket.on('connect', () => {
      if (++open === count) process.send?.('ready');
    });
  }
  process.on('disconnect', () => process.exit(0));
} else {
  const sockets = [];
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    sockets.push(socket);
  });
  server.listen(0, '127.0.0.1', () => {
    const readers = fork(new URL(import.meta.url).pathname, ['readers', String(server.address().port), String(connections)]);
    readers.on('message', async () => {
      await new Promise((r) => setTimeout(r, 300));
      const frame = Buffer.alloc(bytes, 0x61);
      const times = [];
      for (let round = 0; round < 200; round++) {
        const started = performance.now();
        for (const socket of sockets) socket.write(frame);
        times.push(performance.now() - started);
        await new Promise((r) => setTimeout(r, 5));
      }
      times.sort((a, b) => a - b);
      const median = times[times.length >> 1];
      console.log(`${connections} connections, ${bytes}-byte writes: one fan-out ${median.toFixed(2)} ms (median of 200), one write ${((median / connections) * 1000).toFixed(2)} us`);
      readers.kill();
      process.exit(0);
    });
  });
}
