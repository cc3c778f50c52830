// Issue 20, finding 7: a transient JetStream error at start (here: a 3-node
// cluster with two nodes down, so JetStream has no meta leader) is retried
// with backoff while /readyz answers 503 broker_starting and says why; once
// the cluster is whole again the gateway starts its broker and is ready,
// without a restart. (A server without JetStream stays fatal, with one line
// naming the fix: test/cli/start-failures.test.ts.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import WebSocket from 'ws';
import { startOdin } from '../helpers/child-process.js';
import { startNatsCluster } from '../helpers/nats-server.js';
import { TestClient } from '../helpers/test-client.js';

interface ReadyBody {
  ready: boolean;
  reasons: string[];
  broker?: string;
}

async function readyz(port: number): Promise<{ status: number; body: ReadyBody }> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: (await res.json()) as ReadyBody };
}

test('a gateway started while JetStream has no quorum retries with backoff, /readyz says why, and it becomes ready once the cluster is whole', { timeout: 240_000 }, async () => {
  const cluster = await startNatsCluster(3);
  // Two of three down: the survivor has no meta leader, so creating or reading the stream fails for now.
  await cluster.servers[1]!.stop();
  await cluster.servers[2]!.stop();
  const odin = startOdin(['gateway', '--port', '0', '--host', '127.0.0.1', '--nats', cluster.servers[0]!.url, '--nats-stream', 'RETRY', '--log-level', 'info']);
  try {
    const port = Number((await odin.waitForEvent('gateway_started', 60_000)).port);
    const retry = await odin.waitForEvent('nats_start_retry', 90_000);
    assert.ok(Number(retry.retry_in_ms) > 0, 'a retry waits (backoff)');
    const waiting = await readyz(port);
    assert.equal(waiting.status, 503);
    assert.ok(waiting.body.reasons.includes('broker_starting'), `reasons: ${waiting.body.reasons.join(',')}`);
    assert.match(waiting.body.broker ?? '', /attempt \d+, next in \d+ ms/, 'readyz names the error it retries and when it tries next');
    // A client is refused meanwhile, with the reason, not left hanging.
    const refusedStatus = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
      ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.once('open', () => reject(new Error('upgraded while the broker was starting')));
      ws.once('error', () => undefined);
    });
    assert.equal(refusedStatus, 503);

    await cluster.servers[1]!.restart();
    await cluster.servers[2]!.restart();
    await odin.waitForEvent('nats_broker_started', 180_000);
    assert.ok(odin.child.exitCode === null, 'the gateway never exited');
    const ready = await readyz(port);
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    const client = await TestClient.connect(`ws://127.0.0.1:${port}/ws`);
    const [answer] = await client.subscribe([{ channel: 'token.BTC.price' }]);
    assert.equal(answer?.type, 'subscribed');
    client.close();
  } finally {
    odin.kill('SIGKILL');
    await odin.exited;
    await cluster.cleanup();
  }
});
