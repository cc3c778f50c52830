// Bench server child: the usual way to compress WebSocket traffic, a `ws`
// server with perMessageDeflate. Each published message is serialised once
// and sent to every subscriber; ws deflates it separately for each
// connection, in that connection's own deflate stream (context takeover, as
// ws and browsers default to), on libuv's thread pool: CPU and a zlib context
// per client, which is the cost Odin's shared compression avoids. Messages
// below Odin's default compression minimum are sent plain, as Odin does.
// Clients pick their channels with `?channels=a,b,c` in the URL.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { gatewayOptionTable } from '../../config/gateway-options.js';
import { sendToParent, serveParent } from '../server-ipc.js';
import type { PriceTick } from '../price-tick.js';

const subscribers = new Map<string, Set<WebSocket>>();
const server = createServer();
const wss = new WebSocketServer({ server, perMessageDeflate: { threshold: gatewayOptionTable.compressionMinBytes.default } });

wss.on('connection', (ws, req) => {
  const channels = (new URL(req.url ?? '/', 'http://x').searchParams.get('channels') ?? '').split(',');
  const sets = channels.map((channel) => {
    let set = subscribers.get(channel);
    if (!set) subscribers.set(channel, (set = new Set()));
    set.add(ws);
    return set;
  });
  ws.on('close', () => {
    for (const set of sets) set.delete(ws);
  });
  ws.on('error', () => undefined);
  ws.send('{"type":"subscribed"}');
});

function publish(channel: string, tick: PriceTick): void {
  const set = subscribers.get(channel);
  if (!set) return;
  const text = JSON.stringify({ type: 'message', channel, data: tick });
  for (const ws of set) ws.send(text);
}

server.listen(0, '127.0.0.1', () => {
  serveParent(publish);
  sendToParent({ type: 'ready', port: (server.address() as AddressInfo).port });
});
