// Bench server child: what most people write first. A plain `ws` server; each
// published message is serialised and sent to every subscriber of its channel
// in a loop, one JSON.stringify and one send per client. Clients pick their
// channels with `?channels=a,b,c` in the URL.
import { runWsChannelServer } from './ws-channel-server.js';

runWsChannelServer(false, (subscribers, channel, tick) => {
  for (const ws of subscribers) ws.send(JSON.stringify({ type: 'message', channel, data: tick }));
});
