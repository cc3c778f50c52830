// Large backlogs resume (issue 9, broken promise 2): a client away long enough
// to miss many times its byte budget gets through its replay, because replay
// is written under flow control instead of being queued at once; and because
// `replaying` announces a complete replay before its messages, a client that
// is cut off mid-replay resumes from further on: it never loops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import type { MemoryBroker } from '../../src/broker/broker-memory.js';
import type { Position } from '@odin-gateway/client/protocol';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { TestClient } from '../helpers/test-client.js';

const CH = 'token.BTC.price';
const BUDGET = 256 * 1024;
const PAD = 'x'.repeat(900); // ~1 KiB per encoded message

function publish(broker: MemoryBroker, n: number): void {
  for (let i = 0; i < n; i++) broker.publishNow(CH, { type: 'price:update', tokenId: 'BTC', pad: PAD });
}

/** Live traffic during the resume: 200 msg/s of ~1 KiB. Returns a stop function. */
function liveTraffic(broker: MemoryBroker): () => void {
  const timer = setInterval(() => publish(broker, 2), 10);
  return () => clearInterval(timer);
}

/** Reads at a limited pace: the socket is paused most of the time. */
function throttle(client: TestClient, readMs: number, pauseMs: number): () => void {
  const socket = (client.ws as unknown as { _socket: Socket })._socket;
  let paused = false;
  let timer: NodeJS.Timeout;
  const toggle = (): void => {
    paused = !paused;
    if (paused) socket.pause();
    else socket.resume();
    timer = setTimeout(toggle, paused ? pauseMs : readMs);
  };
  timer = setTimeout(toggle, readMs);
  return () => {
    clearTimeout(timer);
    socket.resume();
  };
}

interface ResumeOutcome {
  attempts: number;
  recovered: boolean;
  received: number;
}

/**
 * Resumes `CH` from `from` until a `subscribed` answer arrives, each attempt
 * from the newest seq processed so far (every message after a
 * `replaying recovered:true` may be processed at once). Asserts progress on
 * every cut-off attempt and continuity across all of them.
 */
async function resumeUntilSubscribed(url: string, from: Position, readPace?: [number, number]): Promise<ResumeOutcome> {
  let position = from;
  let received = 0;
  for (let attempt = 1; attempt <= 30; attempt++) {
    const c = await TestClient.connect(url);
    c.lastSeq.set(CH, position.seq);
    const unthrottle = readPace ? throttle(c, readPace[0], readPace[1]) : () => undefined;
    c.send({ type: 'subscribe', id: attempt, channels: [{ channel: CH, since: position }] });
    await c.waitFor(() => c.ofType('subscribed').length > 0 || c.closeCode !== undefined, 60_000, 'subscribed or close');
    unthrottle();
    const announced = c.ofType('replaying')[0];
    assert.ok(announced, 'a resume is announced with `replaying` before its messages');
    assert.deepEqual(c.gaps, [], `attempt ${attempt}: no gap`);
    const mine = c.dataOn(CH);
    received += mine.length;
    const answer = c.ofType('subscribed')[0];
    if (answer) {
      c.close();
      return { attempts: attempt, recovered: answer.recovered === true, received };
    }
    assert.equal(c.closeCode, 4000, `attempt ${attempt}: cut off only as a slow client`);
    assert.equal(announced.recovered, true);
    assert.ok(mine.length > 0, `attempt ${attempt}: a cut-off attempt still made progress`);
    position = { seq: mine.at(-1)!.seq, epoch: position.epoch };
  }
  assert.fail('the resume did not complete in 30 attempts');
}

for (const multiple of [1, 10, 100]) {
  test(`a backlog of ${multiple}x the byte budget resumes completely while live traffic goes on`, async () => {
    const h = await startTestGateway({ maxQueueBytes: BUDGET, historySize: 200_000 });
    const broker = h.broker as MemoryBroker;
    try {
      const first = await TestClient.connect(h.url);
      await first.subscribe([{ channel: CH, latest: true }]);
      publish(broker, 1);
      await first.waitFor(() => first.dataOn(CH).length === 1, 5000, 'first message');
      const last = first.dataOn(CH)[0]!;
      first.close();
      publish(broker, Math.ceil((multiple * BUDGET) / 1024));
      const stop = liveTraffic(broker);
      try {
        const outcome = await resumeUntilSubscribed(h.url, { seq: last.seq, epoch: last.epoch });
        console.log(`backlog ${multiple}x budget: ${JSON.stringify(outcome)}`);
        assert.equal(outcome.recovered, true);
        assert.equal(outcome.attempts, 1, 'a client reading at full pace gets through in one attempt');
      } finally {
        stop();
      }
    } finally {
      await h.stop();
    }
  });
}

test('a client reading at a quarter of its pace still gets through a 10x backlog: every cut-off attempt progresses, none loops', async () => {
  const h = await startTestGateway({ maxQueueBytes: BUDGET, historySize: 200_000 });
  const broker = h.broker as MemoryBroker;
  try {
    publish(broker, 1);
    const start = { seq: 1, epoch: broker.epoch() };
    publish(broker, Math.ceil((10 * BUDGET) / 1024));
    const stop = liveTraffic(broker);
    try {
      const outcome = await resumeUntilSubscribed(h.url, start, [5, 15]);
      console.log(`throttled reader, backlog 10x budget: ${JSON.stringify(outcome)}`);
      assert.equal(outcome.recovered, true);
    } finally {
      stop();
    }
  } finally {
    await h.stop();
  }
});

test('a backlog that is no longer retained is answered recovered:false at once, with the latest value', async () => {
  const h = await startTestGateway({ maxQueueBytes: BUDGET, historySize: 100 });
  const broker = h.broker as MemoryBroker;
  try {
    publish(broker, 1);
    const start = { seq: 1, epoch: broker.epoch() };
    publish(broker, 5000);
    const c = await TestClient.connect(h.url);
    const [answer] = await c.subscribe([{ channel: CH, since: start }]);
    assert.equal(c.ofType('replaying')[0]?.recovered, false);
    assert.equal(answer!.recovered, false);
    assert.equal(answer!.replayed, 1);
    assert.equal(c.dataOn(CH).length, 1);
    c.close();
  } finally {
    await h.stop();
  }
});
