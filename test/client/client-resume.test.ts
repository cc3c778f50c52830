// The SDK against a real gateway over real sockets: after the server drops the
// connection (4000 or a killed socket) it resumes every subscription from its
// last position, nothing lost, nothing twice, and never reports a gap.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MemoryBroker } from '../../src/broker/broker-memory.js';
import type { OdinClient } from '@odin-gateway/client';
import { startTestGateway, type GatewayHarness } from '../helpers/gateway-harness.js';
import { newClient, PublishLog, Recorder, waitUntil } from './client-fixtures.js';

describe('OdinClient resume', () => {
  let gw: GatewayHarness;
  let log: PublishLog;

  before(async () => {
    gw = await startTestGateway();
    log = new PublishLog(gw.broker as MemoryBroker);
  });
  after(async () => {
    await gw.stop();
  });

  async function dropAndResume(drop: (client: OdinClient) => void): Promise<void> {
    const client = newClient(gw.url);
    const rec = new Recorder(client);
    const channels = ['token.RA.price', 'token.RB.price'];
    log.publish(channels[0]!);
    log.publish(channels[1]!);
    try {
      await client.connect();
      const sub = client.subscribe('token.*.price', rec.handler);
      const stats = client.subscribe('market.statistics', rec.handler);
      await Promise.all([sub.ready, stats.ready]);
      for (let i = 0; i < 10; i++) for (const c of channels) log.publish(c);
      await waitUntil(() => rec.received.filter((m) => m.channel === channels[0]).length >= 11, 5000, 'live messages');

      const resumed = new Promise<boolean | undefined>((resolve) => {
        client.on('subscribed', (r) => {
          if (r.resumed && r.channel === 'token.*.price') resolve(r.recovered);
        });
      });
      drop(client);
      // Published while the connection is going down: only a resume can deliver these.
      for (let i = 0; i < 25; i++) for (const c of channels) log.publish(c);
      log.publish('market.statistics', { type: 'market:statistics', totalMarketCap: 1 });
      assert.equal(await resumed, true, 'the resume is recovered');
      for (let i = 0; i < 5; i++) for (const c of channels) log.publish(c);
      await waitUntil(() => channels.every((c) => rec.seqs(c).at(-1) === log.last(c)), 5000, 'every message');
      await waitUntil(() => rec.seqs('market.statistics').at(-1) === log.last('market.statistics'), 5000, 'statistics');

      for (const c of channels) {
        // From the latest value at subscribe on: every seq exactly once, in order.
        const got = rec.seqs(c);
        const expected = log.of(c).filter((s) => s >= got[0]!);
        assert.deepEqual(got, expected, `${c}: nothing lost, nothing twice`);
      }
      assert.deepEqual(rec.gaps, [], 'no gap event');
      assert.deepEqual(rec.resyncs, [], 'no resync');
      assert.equal(client.stats.reconnects, 1);
      assert.ok(client.stats.recovered >= 50, `recovered ${client.stats.recovered} messages by replay`);
      assert.equal(client.state, 'open');
    } finally {
      client.close();
    }
  }

  it('resumes after the server closes it as a slow client (4000)', async () => {
    await dropAndResume(() => {
      for (const conn of gw.gateway.connections) conn.close(4000);
    });
  });

  it('resumes after the socket is killed without a close frame', async () => {
    await dropAndResume(() => {
      for (const conn of gw.gateway.connections) conn.terminate();
    });
  });

  it('resumes after the app asks for a reconnect (the demo page button)', async () => {
    await dropAndResume((client) => client.reconnect({ delayMs: 100 }));
  });
});
