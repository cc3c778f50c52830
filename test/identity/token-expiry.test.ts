// Expiry on live connections: at exp the gateway closes with 4003 (an
// expired token used to keep its connection and could still subscribe); an
// in-band `auth` with a fresh token keeps the connection with no gap; a token
// for another sub is refused. And the SDK's getToken refreshes on its own.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { MemoryBroker } from '../../src/broker/broker-memory.js';
import { OdinClient } from '@odin-gateway/client';
import { ExpirySchedule } from '../../src/gateway/expiry-schedule.js';
import { startTestGateway, type GatewayHarness } from '../helpers/gateway-harness.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { TestClient } from '../helpers/test-client.js';
import { hs256, SECRET_A } from './identity-fixtures.js';

const nowSec = (): number => Math.floor(Date.now() / 1000);

describe('token expiry on live connections', () => {
  let h: GatewayHarness;
  let broker: MemoryBroker;
  let publishing: NodeJS.Timeout;
  let published = 0;

  before(async () => {
    h = await startTestGateway({ jwtSecret: SECRET_A, jwtClockToleranceSec: 0 });
    broker = h.broker as MemoryBroker;
    // A steady private stream for alice.
    publishing = setInterval(() => {
      broker.publishNow('trades.user.alice', { type: 'trade:executed', n: ++published });
    }, 20);
  });
  after(async () => {
    clearInterval(publishing);
    await h.stop();
  });

  it('closes a connection with 4003 at its token\'s exp; nothing private reaches it after', async () => {
    const exp = nowSec() + 2;
    const client = await TestClient.connect(`${h.url}?token=${await hs256(SECRET_A, { exp })}`);
    assert.equal(client.ofType('welcome')[0]!.exp, exp);
    await client.subscribe(['trades.user.alice']);
    await client.waitFor(() => client.closeCode !== undefined, 10_000, 'the close at exp');
    const closedAt = Date.now();
    assert.equal(client.closeCode, 4003);
    assert.equal(client.closeReason, 'TOKEN_EXPIRED');
    assert.ok(closedAt >= exp * 1000, `closed ${exp * 1000 - closedAt} ms before exp`);
    assert.ok(client.data.length > 0, 'it received private messages while the token was valid');
    // Every private message it got was published before exp (the broker's ts): no frame is written at or after it.
    for (const m of client.data) assert.ok(m.ts < exp * 1000, `message published at ${m.ts}, exp ${exp * 1000}`);
    // And the stream went on without it.
    const lastSeq = client.data.at(-1)!.seq;
    const seen = published;
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (published > seen + 5) resolve(clearInterval(check));
      }, 20);
    });
    assert.equal(client.data.at(-1)!.seq, lastSeq);
    assert.ok(metricValue(await fetchMetrics(h.httpUrl), 'ws_tokens_expired_total') >= 1);
  });

  it('a refreshed connection stays open past the first exp and receives with no gap', async () => {
    const exp = nowSec() + 2;
    const client = await TestClient.connect(`${h.url}?token=${await hs256(SECRET_A, { exp })}`);
    await client.subscribe(['trades.user.alice']);
    await client.waitFor(() => client.data.length > 3, 5000, 'first messages');
    const fresh = await hs256(SECRET_A, { expiresIn: 3600 });
    client.send({ type: 'auth', id: 'r1', token: fresh });
    await client.waitFor(() => client.ofType('authenticated').length === 1, 5000, 'authenticated');
    const answer = client.ofType('authenticated')[0]!;
    assert.equal(answer.id, 'r1');
    assert.equal(answer.user, 'alice');
    assert.ok(answer.exp !== null && answer.exp > exp);
    // Positive marker: messages published well after the old exp arrive on the same connection.
    await client.waitFor(() => client.data.some((m) => m.ts > exp * 1000 + 500), 10_000, 'a message after the old exp');
    assert.equal(client.closeCode, undefined);
    assert.deepEqual(client.gaps, []);
    client.close();
  });

  it('refuses a token for another sub, and an invalid one; the connection keeps its user and old expiry', async () => {
    const exp = nowSec() + 3;
    const client = await TestClient.connect(`${h.url}?token=${await hs256(SECRET_A, { exp })}`);
    client.send({ type: 'auth', id: 1, token: await hs256(SECRET_A, { sub: 'bob' }) });
    client.send({ type: 'auth', id: 2, token: await hs256('not-the-secret-0123456789-abcdefghij', { sub: 'alice' }) });
    client.send({ type: 'auth', id: 3, token: 42 });
    await client.waitFor(() => client.ofType('error').length === 3, 5000, 'three refusals');
    assert.deepEqual(
      // Verification is asynchronous: answers may come in another order than the requests.
      client.ofType('error').map((e) => [e.id, e.code, e.reason]).sort((a, b) => Number(a[0]) - Number(b[0])),
      [
        [1, 'TOKEN_SUBJECT_MISMATCH', undefined],
        [2, 'INVALID_TOKEN', 'TOKEN_INVALID_SIGNATURE'],
        [3, 'INVALID_MESSAGE', undefined],
      ],
    );
    // bob's token did not make it bob's connection:
    await client.subscribe(['trades.user.bob'], 'b');
    assert.equal(client.ofType('error').at(-1)!.code, 'FORBIDDEN');
    await client.waitFor(() => client.closeCode !== undefined, 10_000, 'the close at the old exp');
    assert.equal(client.closeCode, 4003);
    const metrics = await fetchMetrics(h.httpUrl);
    assert.ok(metricValue(metrics, 'ws_token_refreshes_total', { result: 'other_user' }) >= 1);
    assert.ok(metricValue(metrics, 'ws_token_refreshes_total', { result: 'invalid' }) >= 1);
  });

  it('an anonymous connection cannot become a user in-band', async () => {
    const client = await TestClient.connect(h.url);
    client.send({ type: 'auth', id: 'x', token: await hs256(SECRET_A) });
    await client.waitFor(() => client.ofType('error').length === 1, 5000, 'refusal');
    assert.equal(client.ofType('error')[0]!.code, 'TOKEN_SUBJECT_MISMATCH');
    client.close();
  });

  it('the SDK refreshes through getToken before expiry: no reconnect, no gap', async () => {
    let issued = 0;
    const client = new OdinClient({
      url: h.url,
      WebSocket: WebSocket as never,
      // Tokens that live 2 s: without refreshes the connection would close every 2 s.
      getToken: () => {
        issued++;
        return hs256(SECRET_A, { exp: nowSec() + 2 });
      },
      refreshBeforeExpiryMs: 1000,
    });
    let refreshed = 0;
    client.on('authenticated', () => refreshed++);
    const closes: number[] = [];
    client.on('close', (info) => closes.push(info.code));
    const received: number[] = [];
    client.subscribe('trades.user.alice', (data) => received.push((data as unknown as { n: number }).n));
    await client.connect();
    const startedAt = Date.now();
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (refreshed >= 3 && Date.now() - startedAt > 4500) resolve(clearInterval(check));
      }, 50);
    });
    assert.deepEqual(closes, []);
    assert.equal(client.stats.reconnects, 0);
    assert.equal(client.stats.gaps, 0);
    assert.ok(issued >= 4, `${issued} tokens issued`);
    // Consecutive: every message of the stream since the subscription.
    for (let i = 1; i < received.length; i++) assert.equal(received[i], received[i - 1]! + 1);
    client.close();
  });
});

describe('ExpirySchedule', () => {
  it('fires each item once at its time, in order; moved and removed items follow', async () => {
    const fired: string[] = [];
    type Item = { name: string; closeAt: number };
    const schedule = new ExpirySchedule<Item>((item) => fired.push(item.name));
    const now = Date.now();
    const items: Item[] = Array.from({ length: 50 }, (_, i) => ({ name: `i${i}`, closeAt: now + 20 + ((i * 37) % 50) * 4 }));
    for (const item of items) schedule.set(item);
    const removed = items[3]!;
    schedule.remove(removed);
    const moved = items[4]!;
    moved.closeAt = now + 10_000;
    schedule.set(moved);
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (fired.length === 48) resolve(clearInterval(check));
      }, 10);
    });
    const expected = items.filter((i) => i !== removed && i !== moved).sort((a, b) => a.closeAt - b.closeAt);
    assert.deepEqual(fired, expected.map((i) => i.name));
    assert.equal(schedule.size, 1);
    schedule.stop();
  });
});
