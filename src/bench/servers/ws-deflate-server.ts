// Bench server child: the usual way to compress WebSocket traffic, a `ws`
// server with perMessageDeflate. Each published message is serialised once
// and sent to every subscriber; ws deflates it separately for each
// connection, in that connection's own deflate stream (context takeover, as
// ws and browsers default to), on libuv's thread pool: CPU and a zlib context
// per client, which is the cost Odin's shared compression avoids. Messages
// below Odin's default compression minimum are sent plain, as Odin does.
// Clients pick their channels with `?channels=a,b,c` in the URL.
import { gatewayOptionTable } from '../../config/gateway-options.js';
import { runWsChannelServer } from './ws-channel-server.js';

runWsChannelServer({ threshold: gatewayOptionTable.compressionMinBytes.default }, (subscribers, channel, tick) => {
  const text = JSON.stringify({ type: 'message', channel, data: tick });
  for (const ws of subscribers) ws.send(text);
});
