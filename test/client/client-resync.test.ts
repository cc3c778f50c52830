// When history is gone the SDK says so (recovered:false, a 'resync' event),
// hands the app the latest values, and carries on without reporting a gap.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryBroker } from '../../src/broker/broker-memory.js';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { newClient, PublishLog, Recorder, waitUntil } from './client-fixtures.js';

describe('OdinClient when history is gone', () => {
  it('surfaces recovered:false when the messages it missed are no longer retained', async () => {
    const gw = await startTestGateway({ historySize: 5 });
    const log = new PublishLog(gw.broker as MemoryBroker);
    const client = newClient(gw.url);
    const rec = new Recorder(client);
    try {
      await client.connect();
      const sub = client.subscribe('token.GONE.price', rec.handler);
      assert.equal((await sub.ready).recovered, undefined, 'a first subscribe is not a resume');
      for (let i = 0; i < 3; i++) log.publish('token.GONE.price');
      await waitUntil(() => rec.received.length === 3, 5000, 'first messages');

      const answer = new Promise<boolean | undefined>((resolve) => client.on('subscribed', (r) => r.resumed && resolve(r.recovered)));
      for (const conn of gw.gateway.connections) conn.close(4000);
      // More than the 5 retained: the position the client holds falls out of history.
      for (let i = 0; i < 20; i++) log.publish('token.GONE.price');
      assert.equal(await answer, false);
      assert.deepEqual(rec.resyncs, [{ channel: 'token.GONE.price' }]);
      await waitUntil(() => rec.seqs('token.GONE.price').at(-1) === log.last('token.GONE.price'), 5000, 'the latest value');

      for (let i = 0; i < 5; i++) log.publish('token.GONE.price');
      await waitUntil(() => rec.seqs('token.GONE.price').at(-1) === log.last('token.GONE.price'), 5000, 'live messages');
      const got = rec.seqs('token.GONE.price');
      // 3 before, the latest value after the resync, 5 live: 17 lost and said so.
      assert.deepEqual(got, [...log.of('token.GONE.price').slice(0, 3), ...log.of('token.GONE.price').slice(22)]);
      assert.deepEqual(rec.gaps, [], 'a resync is not a gap');
      assert.equal(client.stats.resyncs, 1);
    } finally {
      client.close();
      await gw.stop();
    }
  });

  it('surfaces recovered:false after a restart lost the memory broker (new epoch)', async () => {
    const first = await startTestGateway();
    const port = first.port;
    const client = newClient(first.url);
    const rec = new Recorder(client);
    let second: Awaited<ReturnType<typeof startTestGateway>> | undefined;
    try {
      await client.connect();
      const sub = client.subscribe('token.*.price', rec.handler);
      await sub.ready;
      new PublishLog(first.broker as MemoryBroker).publish('token.EP.price');
      await waitUntil(() => rec.received.length === 1, 5000, 'a message');
      const oldEpoch = rec.received[0]!.epoch;

      await first.stop(); // clients get 1001 and come back to the same port
      second = await startTestGateway({ port }, new MemoryBroker({ historySize: 100, historyMaxAgeMs: 60_000 }));
      const log = new PublishLog(second.broker as MemoryBroker);
      log.publish('token.EP.price');
      await waitUntil(() => rec.resyncs.length === 1, 10_000, 'resync');
      await waitUntil(() => rec.seqs('token.EP.price').at(-1) === log.last('token.EP.price'), 5000, 'the new latest value');
      log.publish('token.EP.price');
      await waitUntil(() => rec.seqs('token.EP.price').at(-1) === log.last('token.EP.price'), 5000, 'live in the new epoch');
      assert.notEqual(rec.received.at(-1)!.epoch, oldEpoch);
      assert.deepEqual(rec.gaps, []);
      assert.ok(rec.closes.includes(1001), 'the shutdown close code was seen');
    } finally {
      client.close();
      await second?.stop();
      await second?.broker.close();
    }
  });
});
