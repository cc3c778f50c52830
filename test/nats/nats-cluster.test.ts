// A 3-node JetStream cluster with the stream replicated 3 times: the node
// leading the stream is killed; publishing and delivery go on, and a client
// that moves between gateways still resumes completely.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { type GatewayHarness } from '../helpers/gateway-harness.js';
import { startNatsCluster, type NatsCluster } from '../helpers/nats-server.js';
import { assertSeamless, expectedTicks, resumeEntries, waitUntil, NatsScene } from './nats-test-kit.js';

const CHANNELS = ['token.AAA.price', 'token.BBB.price'];

async function streamLeader(cluster: NatsCluster, stream: string): Promise<{ leader: string; replicas: number }> {
  const nc = await connect({ servers: cluster.urls.split(',') });
  try {
    const info = await (await jetstreamManager(nc)).streams.info(stream);
    return { leader: info.cluster?.leader ?? '', replicas: info.config.num_replicas };
  } finally {
    await nc.close();
  }
}

test('3-node cluster, stream replicas 3: the stream leader is killed; publishing, delivery and resume go on', { timeout: 120_000 }, async () => {
  const cluster = await startNatsCluster(3);
  const scene = new NatsScene();
  try {
    for (let i = 0; i < 2; i++) {
      // Each gateway knows one node first; the client learns the others.
      const servers = [...cluster.servers.slice(i), ...cluster.servers.slice(0, i)].map((s) => s.url).join(',');
      // Not racing JetStream: a replicated stream may not be placeable yet; the gateway retries and /readyz says when it is ready.
      await scene.addReadyGateway(servers, { replicas: 3, reconnectTimeWaitMs: 200 });
    }
    const [a, b] = scene.gateways as [GatewayHarness, GatewayHarness];
    const { leader, replicas } = await streamLeader(cluster, 'ODIN');
    assert.equal(replicas, 3);
    const victim = cluster.servers.find((s) => s.serverName === leader);
    assert.ok(victim, `the stream leader ${leader} is one of ours`);

    const onA = await scene.connect(a.url);
    const onB = await scene.connect(b.url);
    const mover = await scene.connect(a.url);
    await onA.subscribe(CHANNELS);
    await onB.subscribe(['token.*.price']);
    await mover.subscribe(CHANNELS);

    const publisher = await scene.startPublisher(cluster.urls, CHANNELS, 10, { replicas: 3, reconnectTimeWaitMs: 200, publishTimeoutMs: 1000 });
    await waitUntil(() => onA.data.length >= 40 && onB.data.length >= 40, 15_000, 'traffic before the kill');

    await victim.stop('SIGKILL');
    const producedAtKill = publisher.produced;
    await waitUntil(() => publisher.acked >= producedAtKill + 100, 30_000, 'publishing to go on after the kill');
    await waitUntil(() => onA.data.length >= producedAtKill + 50 && onB.data.length >= producedAtKill + 50, 30_000, 'delivery to go on after the kill', () => ({
      producedAtKill,
      produced: publisher.produced,
      acked: publisher.acked,
      onA: { received: onA.data.length, gaps: onA.gaps.length, closed: onA.closeCode },
      onB: { received: onB.data.length, gaps: onB.gaps.length, closed: onB.closeCode },
      natsA: a.gateway.health().checks.nats,
      natsB: b.gateway.health().checks.nats,
    }));
    // The JetStream API may answer slowly while the meta leader is re-elected.
    let newLeader = '';
    await waitUntil(async () => {
      newLeader = (await streamLeader(cluster, 'ODIN').catch(() => ({ leader: '' }))).leader;
      return newLeader !== '';
    }, 30_000, 'stream info from the surviving nodes');
    assert.notEqual(newLeader, leader, 'a new stream leader took over');

    mover.ws.terminate();
    const moved = await scene.connect(b.url);
    const answers = await moved.subscribe(resumeEntries(mover, CHANNELS));
    assert.deepEqual(answers.map((x) => x.recovered), [true, true], JSON.stringify(moved.ofType('error')));

    await waitUntil(() => publisher.produced >= producedAtKill + 200, 20_000, 'more traffic');
    await publisher.finish();
    const total = publisher.produced;
    await waitUntil(() => onA.data.length === total && onB.data.length === total && mover.data.length + moved.data.length === total, 30_000, `all ${total} messages`);
    for (const channel of CHANNELS) {
      const expected = expectedTicks(publisher, channel);
      assertSeamless(channel, expected, onA);
      assertSeamless(channel, expected, onB);
      assertSeamless(channel, expected, mover, moved);
    }
  } finally {
    await scene.cleanup();
    await cluster.cleanup();
  }
});
