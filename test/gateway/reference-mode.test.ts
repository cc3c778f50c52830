// Reference users switch without rewriting their clients (issue 15): a client
// written from the reference's description connects, never subscribes,
// parses one JSON object per frame and sends heartbeats, and receives prices
// with a contiguous per-connection seq. Issue 20, finding 12: it sees only
// the reference's shapes (no Odin `welcome` or `subscribed`), a refused
// subscribe keeps its default channels, and subscribing again to what it has
// replays nothing under new seq numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import type { MemoryBroker } from '../../src/broker/broker-memory.js';
import { gatewayConfigFrom } from '../../src/config/gateway-options.js';
import { startTestGateway, type GatewayHarness } from '../helpers/gateway-harness.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { TestClient } from '../helpers/test-client.js';

interface ReferenceMessage {
  seq?: number;
  ts?: number;
  type: string;
  priority?: string;
  data?: { tokenId?: string };
  code?: string;
  message?: string;
}

/** Every frame a reference client got is one of the reference's shapes: data, pong or error. */
function assertReferenceShapes(received: readonly ReferenceMessage[]): void {
  for (const m of received) {
    if (m.seq !== undefined) assert.deepEqual(Object.keys(m), ['seq', 'ts', 'type', 'priority', 'data']);
    else if (m.type === 'pong') assert.deepEqual(Object.keys(m), ['type', 'ts']);
    else if (m.type === 'error') assert.deepEqual(Object.keys(m), ['type', 'code', 'message']);
    else assert.fail(`a frame the reference's clients do not know: ${JSON.stringify(m)}`);
  }
}

/** The server side of the gateway's only connection has a live subscription to `channel`. */
function liveOn(h: GatewayHarness, channel: string): boolean {
  const conn = [...h.gateway.connections][0];
  return conn?.subscription(channel)?.isLive === true;
}

/** The reference's client, as its README describes it. */
class ReferenceClient {
  readonly received: ReferenceMessage[] = [];
  private readonly heartbeat: NodeJS.Timeout;

  private constructor(readonly ws: WebSocket) {
    // Listening from the start: the first frame can arrive in the same turn as 'open'.
    ws.on('message', (raw) => this.received.push(JSON.parse(raw.toString()) as ReferenceMessage));
    this.heartbeat = setInterval(() => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'heartbeat' }));
    }, 50);
    this.heartbeat.unref();
  }

  static async connect(url: string): Promise<ReferenceClient> {
    const client = new ReferenceClient(new WebSocket(url));
    await new Promise((resolve, reject) => {
      client.ws.once('open', resolve);
      client.ws.once('error', reject);
    });
    return client;
  }

  prices(): ReferenceMessage[] {
    return this.received.filter((m) => m.type === 'price:update');
  }

  async waitFor(condition: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.ws.close();
  }
}

const TOKENS = ['BTC', 'ETH', 'SOL'];

function publishPrices(broker: MemoryBroker, rounds: number): void {
  for (let i = 0; i < rounds; i++) {
    for (const tokenId of TOKENS) broker.publishNow(`token.${tokenId}.price`, { type: 'price:update', tokenId, price: 100 + i });
  }
}

test('a reference client that never subscribes gets every price, one object per frame, seq contiguous from 1, counted by the gateway', async () => {
  const h = await startTestGateway({ defaultChannels: 'token.*.price,market.statistics' });
  const broker = h.broker as MemoryBroker;
  try {
    const client = await ReferenceClient.connect(`${h.url}?protocol=reference`);
    // A pong answers one of its heartbeats: the connection is set up, default channels included.
    await client.waitFor(() => client.received.some((m) => m.type === 'pong'), 'a pong');
    publishPrices(broker, 50);
    broker.publishNow('market.statistics', { type: 'market:statistics', activeTokens: 3 });
    await client.waitFor(() => client.received.filter((m) => m.seq !== undefined).length === 151, '151 messages');
    await client.waitFor(() => client.received.some((m) => m.type === 'pong'), 'a pong');
    const data = client.received.filter((m) => m.seq !== undefined);
    assert.deepEqual(
      data.map((m) => m.seq),
      Array.from({ length: 151 }, (_, i) => i + 1),
      'seq counts this connection\'s messages from 1, contiguous',
    );
    for (const m of data) assert.deepEqual(Object.keys(m), ['seq', 'ts', 'type', 'priority', 'data']);
    assert.equal(client.prices().length, 150);
    assert.equal(data.filter((m) => m.type === 'market:statistics').length, 1);
    assert.equal(client.prices()[0]!.priority, 'high');
    const sent = metricValue(await fetchMetrics(h.httpUrl), 'ws_messages_sent_total');
    assert.equal(sent, 151, 'the gateway counts what it sent to this connection');
    assertReferenceShapes(client.received);
    assert.ok(!client.received.some((m) => m.type === 'welcome'), "no Odin welcome");
    client.close();
  } finally {
    await h.stop();
  }
});

test('subscribe with symbols replaces the default channels; replay gets REPLAY_NOT_SUPPORTED without spending the abuse budget', async () => {
  const h = await startTestGateway({ defaultChannels: 'token.*.price' });
  const broker = h.broker as MemoryBroker;
  try {
    const client = await ReferenceClient.connect(`${h.url}?protocol=reference`);
    client.ws.send(JSON.stringify({ type: 'subscribe', data: { symbols: ['BTC'] } }));
    // The reference answers a subscribe with nothing: the gateway's own state says when it applies.
    await client.waitFor(() => liveOn(h, 'token.BTC.price') && !liveOn(h, 'token.*.price'), 'BTC live, defaults dropped');
    publishPrices(broker, 10);
    await client.waitFor(() => client.prices().length === 10, '10 BTC prices');
    assert.ok(client.prices().every((m) => m.data?.tokenId === 'BTC'));
    for (let i = 0; i < 40; i++) client.ws.send(JSON.stringify({ type: 'replay', since: 1 }));
    await client.waitFor(() => client.received.filter((m) => m.code === 'REPLAY_NOT_SUPPORTED').length === 40, '40 answers');
    publishPrices(broker, 1);
    await client.waitFor(() => client.prices().length === 11, 'still open and receiving');
    assert.equal(client.ws.readyState, WebSocket.OPEN, '40 replays did not close the connection (abuse budget 20)');
    assertReferenceShapes(client.received);
    client.close();
  } finally {
    await h.stop();
  }
});

test('a refused subscribe keeps the default channels of a reference client', async () => {
  const h = await startTestGateway({ defaultChannels: 'token.*.price' });
  const broker = h.broker as MemoryBroker;
  try {
    const client = await ReferenceClient.connect(`${h.url}?protocol=reference`);
    client.ws.send(JSON.stringify({ type: 'subscribe', channels: ['trades.user.bob'] }));
    await client.waitFor(() => client.received.some((m) => m.code === 'FORBIDDEN'), 'the refusal');
    publishPrices(broker, 2);
    await client.waitFor(() => client.prices().length === 6, 'prices from the default channels, still');
    assert.ok(liveOn(h, 'token.*.price'));
    assertReferenceShapes(client.received);
    client.close();
  } finally {
    await h.stop();
  }
});

test('subscribing again to a channel it has replays nothing under new seq numbers (reference client)', async () => {
  const h = await startTestGateway();
  const broker = h.broker as MemoryBroker;
  try {
    publishPrices(broker, 5);
    const epoch = broker.epoch();
    const client = await ReferenceClient.connect(`${h.url}?protocol=reference`);
    const resume = JSON.stringify({ type: 'subscribe', channels: [{ channel: 'token.BTC.price', since: { seq: 0, epoch } }] });
    client.ws.send(resume);
    await client.waitFor(() => client.prices().length === 5, 'the first replay');
    client.ws.send(resume);
    // Requests run in order: this refusal comes after the second subscribe has been handled.
    client.ws.send(JSON.stringify({ type: 'subscribe', channels: ['trades.user.bob'] }));
    await client.waitFor(() => client.received.some((m) => m.code === 'FORBIDDEN'), 'the marker');
    broker.publishNow('token.BTC.price', { type: 'price:update', tokenId: 'BTC', price: 1 });
    await client.waitFor(() => client.prices().length >= 6, 'the next live price');
    assert.deepEqual(
      client.prices().map((m) => m.seq),
      [1, 2, 3, 4, 5, 6],
      'five replayed, then the live one: no second replay',
    );
    assertReferenceShapes(client.received);
    client.close();
  } finally {
    await h.stop();
  }
});

test('an Odin client on a gateway with default channels gets them in the Odin shape until it subscribes', async () => {
  const h = await startTestGateway({ defaultChannels: 'token.*.price' });
  const broker = h.broker as MemoryBroker;
  try {
    const c = await TestClient.connect(h.url);
    publishPrices(broker, 2);
    await c.waitFor(() => c.data.length === 6, 5000, 'defaults');
    await c.subscribe(['market.statistics']);
    publishPrices(broker, 2);
    broker.publishNow('market.statistics', { type: 'market:statistics' });
    await c.waitFor(() => c.data.length === 7, 5000, 'the statistics');
    assert.equal(c.data.at(-1)!.channel, 'market.statistics', 'prices stopped once it subscribed itself');
    c.close();
  } finally {
    await h.stop();
  }
});

test('default channels must be valid, public and not overlap', () => {
  assert.throws(() => gatewayConfigFrom(['--default-channels', 'trades.user.*']), /private/);
  assert.throws(() => gatewayConfigFrom(['--default-channels', 'token.*.price,token.BTC.price']), /overlaps/);
  assert.throws(() => gatewayConfigFrom(['--default-channels', 'bad..name']), /default-channels/);
  assert.equal(gatewayConfigFrom(['--default-channels', 'token.*.price, market.statistics']).defaultChannels, 'token.*.price, market.statistics');
});
