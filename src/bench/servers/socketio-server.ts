// Bench server child: socket.io with a room per channel, WebSocket transport
// only (no long-polling). `io.to(room).emit` encodes once per emit and writes
// to every member. Clients pick their rooms with `?channels=a,b,c` in the URL.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { sendToParent, serveParent } from '../server-ipc.js';
import type { PriceTick } from '../price-tick.js';

const server = createServer();
const io = new Server(server, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });

io.use((socket, next) => {
  // Joining before the connect acknowledgement: a client is in its room once it is connected.
  void socket.join(String(socket.handshake.query.channels ?? '').split(','));
  next();
});

function publish(channel: string, tick: PriceTick): void {
  io.to(channel).emit('tick', tick);
}

server.listen(0, '127.0.0.1', () => {
  serveParent(publish);
  sendToParent({ type: 'ready', port: (server.address() as AddressInfo).port });
});
