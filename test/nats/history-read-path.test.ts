// A history read over NATS takes its messages from a read consumer in
// byte-bounded pulls, not message by message. Before: every fetch asked for
// max_messages and max_bytes together, which nats.js refuses, so every page
// fell back to one stream request per message (a 1,000-message resume took
// about 0.5 s, a 100,000-message one about a minute). Counted from outside:
// the stream message requests a read makes, seen on a NATS subscription.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { NatsBroker } from '../../src/broker/broker-nats.js';
import type { HistoryPage, Position } from '../../src/broker/broker.js';
import { NatsServer } from '../helpers/nats-server.js';
import { natsBroker, uniqueStream, waitUntil } from './nats-test-kit.js';

const CHANNEL = 'token.PATH.price';
const MESSAGES = 2000;

let server: NatsServer;
let broker: NatsBroker;
let watcher: NatsConnection;

before(async () => {
  server = await NatsServer.start();
});
after(async () => {
  await watcher?.close();
  await broker?.close();
  await server?.cleanup();
});

test(`a ${MESSAGES}-message history read over NATS pulls from a consumer: a handful of single-message requests, not one per message`, { timeout: 120_000 }, async () => {
  const stream = uniqueStream('PATH');
  broker = natsBroker(server.url, { name: stream, historySize: 100_000 });
  await broker.start();
  for (let n = 1; n <= MESSAGES; n += 250) {
    await Promise.all(Array.from({ length: Math.min(250, MESSAGES - n + 1) }, (_, i) => broker.publish(CHANNEL, { n: n + i })));
  }
  // The read stops at what the live consumer has taken in: wait for the last message there.
  await waitUntil(async () => (await broker.latest(CHANNEL)).messages[0]?.seq === MESSAGES, 30_000, 'the live consumer to take in every message');

  watcher = await connect({ servers: server.url });
  let singleReads = 0;
  const sub = watcher.subscribe(`$JS.API.STREAM.MSG.GET.${stream}`, { callback: () => void singleReads++ });
  await watcher.flush();

  const since: Position = { seq: 0, epoch: broker.epoch() };
  const pages: HistoryPage[] = [await broker.historyPage(CHANNEL, since, { maxBytes: 16 * 1024 })];
  while (!pages[pages.length - 1]!.complete) pages.push(await broker.historyPage(CHANNEL, pages[pages.length - 1]!.next!, { maxBytes: 16 * 1024 }));
  await watcher.flush();
  sub.unsubscribe();

  const messages = pages.flatMap((p) => p.messages);
  assert.ok(pages.every((p) => p.recovered), 'recovered on every page');
  assert.equal(messages.length, MESSAGES);
  assert.deepEqual(messages.map((m) => m.seq), Array.from({ length: MESSAGES }, (_, i) => i + 1));
  for (let i = 1; i < messages.length; i++) assert.equal(messages[i]!.prev, messages[i - 1]!.seq);
  assert.ok(pages.length > 5, `bounded pages (${pages.length})`);
  // At most a few per page (a message that does not fit the pull's byte bound is read alone).
  assert.ok(singleReads <= pages.length * 2, `${singleReads} single-message requests for ${MESSAGES} messages in ${pages.length} pages`);
});
