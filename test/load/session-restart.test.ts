// Issue 25: a trader's session ends with a graceful close and its next session
// opens a new socket while the old one may still deliver frames. Those frames
// used to move the resume position after the new subscribe was sent, so the
// new session's replay repeated them: duplicates counted against the gateway.
// Reproduced deterministically: the old socket's reading is paused while
// messages pile up in its kernel buffer, the new session subscribes, then the
// old socket is let go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { LoadClient } from '../../src/load/load-client.js';
import { LoadStats, summarize } from '../../src/load/load-stats.js';
import { runFailure } from '../../src/cli/commands/load.js';
import { ArrivalWaiter } from '../helpers/arrival-waiter.js';
import { startTestGateway } from '../helpers/gateway-harness.js';

const CHANNEL = 'token.BTC.price';

test('a session restarted while the old socket still delivers counts 0 duplicates and 0 gaps', { timeout: 60_000 }, async () => {
  const h = await startTestGateway();
  const stats = new LoadStats();
  const client = new LoadClient({ url: h.url, channels: [CHANNEL], keepaliveMs: 0 }, stats);
  const waiter = new ArrivalWaiter();
  let published = 0;
  let publishing = true;
  const publisher = (async () => {
    while (publishing) {
      for (let i = 0; i < 20; i++) await h.broker.publish(CHANNEL, { type: 'price:update', tokenId: 'BTC', price: 100 + (published++ % 50) });
      waiter.wake();
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  try {
    client.connect();
    await waiter.waitFor(() => stats.messages >= 200, 20_000, '200 messages on the first session');
    const old = client.ws!;
    const oldSocket = (old as unknown as { _socket: Socket })._socket;
    oldSocket.pause();
    const pausedAt = published;
    await waiter.waitFor(() => published >= pausedAt + 400, 20_000, '400 more published while the old socket is paused');
    // End of session and the next one at once, as the realistic run does after a session.
    client.close(1000);
    client.connect();
    await waiter.waitFor(() => client.ws !== old && client.connected && stats.resumesRecovered >= 1, 20_000, 'the new session resumed');
    oldSocket.resume();
    await new Promise<void>((resolve) => (old.readyState === old.CLOSED ? resolve() : old.once('close', () => resolve())));
    publishing = false;
    await publisher;
    const last = await h.broker.publish(CHANNEL, { type: 'price:update', tokenId: 'BTC', price: 1 });
    await waiter.waitFor(() => (client.detector.position(CHANNEL)?.seq ?? 0) >= last.seq, 20_000, 'the last message on the new session');
    assert.equal(stats.duplicates, 0, 'the old socket\'s frames are not the new session\'s');
    assert.equal(stats.gaps, 0);
  } finally {
    publishing = false;
    await publisher;
    client.close();
    await h.stop();
  }
});

test('odin load fails (exit 3) on gaps or duplicates, not only when nothing arrived', () => {
  const stats = new LoadStats();
  stats.attempted = 1;
  stats.opened = 1;
  stats.messages = 10;
  const clean = summarize(stats, 'stress', 'ws://127.0.0.1:1/ws', 1, 1);
  assert.equal(runFailure(clean), undefined);
  stats.gaps = 2;
  assert.match(runFailure(summarize(stats, 'stress', 'ws://127.0.0.1:1/ws', 1, 1)) ?? '', /^2 gaps and 0 duplicates$/);
  stats.gaps = 0;
  stats.duplicates = 3;
  assert.match(runFailure(summarize(stats, 'stress', 'ws://127.0.0.1:1/ws', 1, 1)) ?? '', /^0 gaps and 3 duplicates$/);
});
