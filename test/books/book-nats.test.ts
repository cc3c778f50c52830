// Books over NATS on two gateways: the second starts after the book began
// (it rebuilds from history: last snapshot and later updates), and the client
// printed in docs/books.md, dropped at random moments, resumes alternately on
// the other gateway: 0 checksum mismatches, 0 gaps, at depth 1000 and 10.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NatsServer } from '../helpers/nats-server.js';
import { natsBroker, NatsScene, waitUntil } from '../nats/nats-test-kit.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { loadDocsClient, stopDocsClient, TestBookPublisher } from './docs-book-client.js';

test("two gateways over NATS: the docs' client keeps a verified book across random drops and resumes on either", { timeout: 120_000 }, async () => {
  const server = await NatsServer.start();
  const scene = new NatsScene();
  const { followBook } = await loadDocsClient();
  const clients: Array<ReturnType<typeof followBook>> = [];
  try {
    const a = await scene.addGateway(server.url);
    const publishing = natsBroker(server.url, { consume: false });
    scene.brokers.push(publishing);
    await publishing.start();
    const pub = new TestBookPublisher(publishing, 'book.BTC');
    // More than a snapshot interval: the late gateway rebuilds from a snapshot in the middle of history.
    await pub.publish(260);
    const b = await scene.addGateway(server.url);
    const full = followBook([a.url, b.url], 'book.BTC');
    const top10 = followBook([b.url, a.url], 'book.BTC', 10);
    clients.push(full, top10);
    // Both clients must be following (their snapshot taken in) before the rounds: on a busy machine a late
    // subscribe would only see the tail of them (CI once verified 74 on one client for this reason).
    await waitUntil(() => full.seq === pub.lastSeq && top10.seq === pub.lastSeq, 30_000, 'both clients following the book', () => ({ full: full.seq, top10: top10.seq, last: pub.lastSeq }));
    let last = 0;
    const publishTracked = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        await pub.publish(1);
        last = pub.lastSeq;
      }
    };
    let seed = 11;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 10; round++) {
      await publishTracked(5 + Math.floor(random() * 20));
      // A random client drops abruptly (as a network does) and comes back on the other gateway with since.
      const victim = random() < 0.5 ? full : top10;
      victim.ws.terminate();
      await publishTracked(5 + Math.floor(random() * 20));
    }
    await waitUntil(() => full.seq === last && top10.seq === last, 30_000, 'both clients at the last published position', () => ({ full: full.seq, top10: top10.seq, last }));
    assert.equal(full.mismatches, 0, 'checksum mismatches at depth 1000');
    assert.equal(top10.mismatches, 0, 'checksum mismatches at depth 10');
    assert.equal(full.gaps, 0, 'gaps at depth 1000');
    assert.equal(top10.gaps, 0, 'gaps at depth 10');
    assert.ok(full.verified > 100 && top10.verified > 100, `verified ${full.verified} and ${top10.verified}`);
    assert.equal(full.book!.bids.size, pub.model.book.bids.length, "the full client's book is the publisher's");
    // Both gateways hold the same book at the same position.
    const [sa, sb] = await Promise.all([a.gateway.books.snapshot('book.BTC', 1000), b.gateway.books.snapshot('book.BTC', 1000)]);
    assert.equal(sa.seq, sb.seq);
    assert.equal(sa.message?.payload, sb.message?.payload);
    // The late gateway rebuilt the book from history (its last snapshot and the updates after it).
    assert.equal(metricValue(await fetchMetrics(b.httpUrl), 'ws_book_rebuilds_total', { result: 'snapshot' }), 1);
  } finally {
    for (const c of clients) stopDocsClient(c);
    await scene.cleanup();
    await server.stop();
  }
});
