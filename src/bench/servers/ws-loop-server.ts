// Bench server child: what most people write first. A plain `ws` server; each
// published message is serialised and sent to every subscriber of its channel
// in a loop, one JSON.stringify and one send per client. Clients pick their
// channels with `?channels=a,b,c` in the URL.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { sendToParent, serveParent } from '../server-ipc.js';
import type { PriceTick } from '../price-tick.js';

const subscribers = new Map<string, Set<WebSocket>>();
const server = createServer();
const wss = new WebSocketServer({ server, perMessageDeflate: false });

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
  for (const ws of set) ws.send(JSON.stringify({ type: 'message', channel, data: tick }));
}

server.listen(0, '127.0.0.1', () => {
  serveParent(publish);
  sendToParent({ type: 'ready', port: (server.address() as AddressInfo).port });
});
