#!/usr/bin/env node
// A runnable Odin client in Node: prints every price tick and market statistics,
// reconnects and resumes on its own. Start Odin first (`npm start`), then:
//   node examples/node-client.mjs [ws://localhost:3004/ws]
// Node 20 has no global WebSocket, so the one from 'ws' is passed in.
import WebSocket from 'ws';
import { OdinClient } from '@odin-gateway/client';

const url = process.argv[2] ?? 'ws://localhost:3004/ws';
const client = new OdinClient({ url, WebSocket });

client.on('state', (state) => console.log(`[state] ${state}`));
client.on('close', (c) => console.log(`[close] ${c.code} ${c.reason}${c.willReconnect ? `, reconnecting in ${c.delayMs} ms` : ''}`));
client.on('subscribed', (r) => r.resumed && console.log(`[resume] ${r.channel}: ${r.recovered ? `${r.replayed} missed messages replayed` : 'history gone, resynced'}`));
client.on('gap', (g) => console.error(`[gap] ${g.channel}: expected prev ${g.expectedPrev}, got ${g.prev}`));
client.on('error', (e) => console.error(`[error] ${e.message}`));

client.subscribe('token.*.price', (tick) => {
  console.log(`${tick.tokenId.padEnd(5)} ${String(tick.price).padStart(12)}  ${tick.priceChange24h >= 0 ? '+' : ''}${tick.priceChange24h}%`);
});
client.subscribe('market.statistics', (s) => {
  console.log(`[market] cap ${Math.round(s.totalMarketCap / 1e9)}B, top ${s.topTokens.map((t) => t.tokenId).join(' ')}`);
});

await client.connect();
console.log(`[open] session ${client.session}; Ctrl-C to stop`);
process.on('SIGINT', () => {
  client.close();
  console.log(`\n${client.stats.messages} messages, ${client.stats.reconnects} reconnects, ${client.stats.recovered} recovered, ${client.stats.gaps} gaps`);
  process.exit(0);
});
