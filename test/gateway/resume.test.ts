// The heart of Odin: a client that reconnects with its last position gets
// exactly what it missed, in order, then live messages with no gap and no
// duplicate at the seam.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MemoryBroker } from '../../src/broker/broker-memory.js';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { TestClient } from '../helpers/test-client.js';

const CH = 'token.BTC.price';

function publish(broker: MemoryBroker, n: number, channel = CH, start = 0): void {
  for (let i = 0; i < n; i++) broker.publishNow(channel, { type: 'price:update', tokenId: 'BTC', price: 40000 + start + i, i: start + i });
}

test('resume after disconnect delivers exactly the missed messages, then live, with no gap or duplicate', async () => {
  const h = await startTestGateway();
  const broker = h.broker as MemoryBroker;
  try {
    const a = await TestClient.connect(h.url);
    await a.subscribe([CH]);
    publish(broker, 10);
    await a.waitFor(() => a.dataOn(CH).length === 10, 5000, '10 live messages');
    const last = a.dataOn(CH).at(-1)!;
    a.close();
    await a.waitClosed();

    publish(broker, 25, CH, 10); // missed while away

    const b = await TestClient.connect(h.url);
    const [answer] = await b.subscribe([{ channel: CH, since: { seq: last.seq, epoch: last.epoch } }]);
    assert.equal(answer!.recovered, true);
    assert.equal(answer!.replayed, 25);
    publish(broker, 5, CH, 35); // live after the seam
    await b.waitFor(() => b.dataOn(CH).length === 30, 5000, '25 replayed + 5 live');
    const got = b.dataOn(CH).map((m) => (m.data as { i: number }).i);
    assert.deepEqual(got, Array.from({ length: 30 }, (_, k) => 10 + k));
    assert.equal(b.dataOn(CH)[0]!.prev, last.seq, 'first replayed message links to the last one seen');
    assert.deepEqual(b.gaps, []);
    // The subscribed answer comes after the replay and before live messages.
    const order = b.messages.filter((m) => m.type === 'message' || m.type === 'subscribed').map((m) => m.type);
    assert.equal(order.indexOf('subscribed'), 25);
    b.close();
  } finally {
    await h.stop();
  }
});

test('resume while publishing continues at a high rate: the seam has no gap and no duplicate', async () => {
  const h = await startTestGateway({ historySize: 100_000 });
  const broker = h.broker as MemoryBroker;
  let published = 0;
  let stop = false;
  // Publish bursts on every turn of the event loop, so messages arrive while the resume is set up.
  const pump = (): void => {
    if (stop) return;
    for (let i = 0; i < 50; i++) broker.publishNow(CH, { type: 'price:update', i: published++ });
    setImmediate(pump);
  };
  try {
    const a = await TestClient.connect(h.url);
    await a.subscribe([CH]);
    pump();
    await a.waitFor(() => a.dataOn(CH).length >= 500, 10_000, 'some live traffic');
    a.ws.terminate();
    await a.waitClosed();
    const last = a.dataOn(CH).at(-1)!;
    const seenByA = a.dataOn(CH).length;

    const clients = await Promise.all([1, 2, 3].map(() => TestClient.connect(h.url)));
    for (const c of clients) c.send({ type: 'subscribe', id: 1, channels: [{ channel: CH, since: { seq: last.seq, epoch: last.epoch } }] });
    // Live traffic goes on while they resume: stop once every client is answered and 500 more were published.
    for (const c of clients) await c.waitFor(() => c.ofType('subscribed').length > 0, 10_000, 'subscribed');
    const answeredAt = published;
    await clients[0]!.waitFor(() => published >= answeredAt + 500, 10_000, 'traffic after the answers');
    stop = true;
    const total = published;
    for (const c of clients) {
      await c.waitFor(() => c.dataOn(CH).length >= total - seenByA, 15_000, 'every message after the position');
      const got = c.dataOn(CH).map((m) => (m.data as { i: number }).i);
      assert.equal(got.length, total - seenByA, 'no duplicates');
      assert.deepEqual(got, Array.from({ length: total - seenByA }, (_, k) => seenByA + k), 'in order, nothing missing');
      assert.deepEqual(c.gaps, []);
      assert.equal(c.ofType('subscribed')[0]!.recovered, true);
      c.close();
    }
  } finally {
    stop = true;
    await h.stop();
  }
});

test('a position older than the history kept gets recovered:false and the latest message', async () => {
  const h = await startTestGateway({ historySize: 5 });
  const broker = h.broker as MemoryBroker;
  try {
    publish(broker, 3);
    const a = await TestClient.connect(h.url);
    await a.subscribe([{ channel: CH, latest: true }]);
    const seen = a.dataOn(CH).at(-1)!;
    a.close();
    publish(broker, 20, CH, 3); // more than the 5 kept
    const b = await TestClient.connect(h.url);
    const [answer] = await b.subscribe([{ channel: CH, since: { seq: seen.seq, epoch: seen.epoch } }]);
    assert.equal(answer!.recovered, false);
    assert.equal(answer!.replayed, 1);
    assert.equal((b.dataOn(CH)[0]!.data as { i: number }).i, 22, 'the latest value to resync');
    assert.equal(answer!.position.seq, b.dataOn(CH)[0]!.seq);
    b.close();
  } finally {
    await h.stop();
  }
});

test('a position from another epoch gets recovered:false and the latest message', async () => {
  const h = await startTestGateway();
  const broker = h.broker as MemoryBroker;
  try {
    publish(broker, 4);
    const c = await TestClient.connect(h.url);
    const [answer] = await c.subscribe([{ channel: CH, since: { seq: 2, epoch: 'anotherEpoch' } }]);
    assert.equal(answer!.recovered, false);
    assert.equal(answer!.position.epoch, broker.epoch());
    assert.equal(c.dataOn(CH).length, 1);
    assert.equal((c.dataOn(CH)[0]!.data as { i: number }).i, 3);
    c.close();
  } finally {
    await h.stop();
  }
});

test('latest on subscribe sends the current price at once; a plain subscribe sends nothing old', async () => {
  const h = await startTestGateway();
  const broker = h.broker as MemoryBroker;
  try {
    publish(broker, 7);
    const c = await TestClient.connect(h.url);
    const [withLatest] = await c.subscribe([{ channel: CH, latest: true }]);
    assert.equal(withLatest!.replayed, 1);
    assert.equal(withLatest!.recovered, undefined);
    assert.equal((c.dataOn(CH)[0]!.data as { i: number }).i, 6);
    const d = await TestClient.connect(h.url);
    const [plain] = await d.subscribe([CH]);
    assert.equal(plain!.replayed, 0);
    assert.equal(plain!.position.seq, c.dataOn(CH)[0]!.seq, 'position tells where live starts');
    publish(broker, 1, CH, 7);
    await d.waitFor(() => d.dataOn(CH).length === 1);
    assert.equal((d.dataOn(CH)[0]!.data as { i: number }).i, 7);
    c.close();
    d.close();
  } finally {
    await h.stop();
  }
});

test('wildcard subscriptions deliver concrete channels and resume across all of them', async () => {
  const h = await startTestGateway();
  const broker = h.broker as MemoryBroker;
  try {
    const a = await TestClient.connect(h.url);
    await a.subscribe(['token.*.price']);
    broker.publishNow('token.BTC.price', { i: 0 });
    broker.publishNow('token.ETH.price', { i: 1 });
    broker.publishNow('market.statistics', { i: 2 });
    await a.waitFor(() => a.data.length === 2);
    assert.deepEqual(a.data.map((m) => m.channel), ['token.BTC.price', 'token.ETH.price']);
    const top = Math.max(...a.data.map((m) => m.seq));
    a.close();
    broker.publishNow('token.SOL.price', { i: 3 });
    broker.publishNow('token.BTC.price', { i: 4 });
    broker.publishNow('market.statistics', { i: 5 });
    const b = await TestClient.connect(h.url);
    const [answer] = await b.subscribe([{ channel: 'token.*.price', since: { seq: top, epoch: broker.epoch() } }]);
    assert.equal(answer!.recovered, true);
    assert.deepEqual(b.data.map((m) => [m.channel, (m.data as { i: number }).i]), [['token.SOL.price', 3], ['token.BTC.price', 4]]);
    b.close();
  } finally {
    await h.stop();
  }
});

test('when the broker history is reset (new epoch), clients are closed with 1012 and a resume says recovered:false', async () => {
  const h = await startTestGateway();
  const broker = h.broker as MemoryBroker;
  try {
    const a = await TestClient.connect(h.url);
    await a.subscribe([CH]);
    publish(broker, 3);
    await a.waitFor(() => a.dataOn(CH).length === 3);
    const last = a.dataOn(CH).at(-1)!;
    broker.resetHistory();
    publish(broker, 1, CH, 100); // seq 1 of the new epoch
    assert.equal(await a.waitClosed(), 1012);
    const b = await TestClient.connect(h.url);
    const [answer] = await b.subscribe([{ channel: CH, since: { seq: last.seq, epoch: last.epoch } }]);
    assert.equal(answer!.recovered, false);
    assert.notEqual(answer!.position.epoch, last.epoch);
    assert.equal((b.dataOn(CH)[0]!.data as { i: number }).i, 100, 'the latest value of the new history');
    publish(broker, 1, CH, 101);
    await b.waitFor(() => b.dataOn(CH).length === 2, 5000, 'live messages of the new epoch');
    b.close();
  } finally {
    await h.stop();
  }
});
