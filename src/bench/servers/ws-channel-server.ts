// What the plain `ws` peers share: a ws server where clients pick their
// channels with `?channels=a,b,c`, a subscriber set per channel, and the
// parent's publish calls. Each peer supplies only how it sends a tick.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type PerMessageDeflateOptions, type WebSocket } from 'ws';
import { sendToParent, serveParent } from '../server-ipc.js';
import type { PriceTick } from '../price-tick.js';

export function runWsChannelServer(
  perMessageDeflate: PerMessageDeflateOptions | false,
  send: (subscribers: ReadonlySet<WebSocket>, channel: string, tick: PriceTick) => void,
): void {
  const subscribers = new Map<string, Set<WebSocket>>();
  const server = createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate });

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

  server.listen(0, '127.0.0.1', () => {
    serveParent((channel, tick) => {
      const set = subscribers.get(channel);
      if (set) send(set, channel, tick);
    });
    sendToParent({ type: 'ready', port: (server.address() as AddressInfo).port });
  });
}
