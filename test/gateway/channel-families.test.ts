// A subscribe that could never deliver is answered, not silent: a name with
// the NATS prefix (`odin.token.BTC.price`) always, and a name in none of the
// gateway's --channel-families (`tokens.BTC.price`) when it runs with them,
// as docs/protocol.md writes them. The server API's publish agrees.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, startOdin } from '../helpers/child-process.js';
import { startTestGateway, type GatewayHarness } from '../helpers/gateway-harness.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { TestClient } from '../helpers/test-client.js';
import { api, API_KEY } from '../api/api-fixtures.js';

/** The families protocol.md gives as the example of --channel-families. */
const documentedFamilies = ((): string => {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'protocol.md'), 'utf8');
  const m = /`--channel-families`\/`CHANNEL_FAMILIES` \(patterns[\s\S]*?`([^`]*,[^`]*)`\) carries only those/.exec(doc);
  assert.ok(m, 'protocol.md gives an example of --channel-families');
  return m[1]!;
})();

/** Subscribes each entry on its own and returns 'ok' or the error code. */
async function verdicts(client: TestClient, entries: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [i, channel] of entries.entries()) {
    const id = `v${i}-${Math.random()}`;
    const [answer] = await client.subscribe([channel], id);
    const error = client.ofType('error').find((e) => e.id === id);
    out[channel] = answer ? 'ok' : (error?.code ?? 'none');
  }
  return out;
}

describe('channel names that could never deliver', () => {
  let open: GatewayHarness;
  let strict: GatewayHarness;
  before(async () => {
    open = await startTestGateway({ apiKeys: [API_KEY] });
    strict = await startTestGateway({ apiKeys: [API_KEY], channelFamilies: documentedFamilies.split(',') });
  });
  after(async () => {
    await open.stop();
    await strict.stop();
  });

  it('odin.<channel> is refused UNKNOWN_CHANNEL on any gateway, naming the channel without the prefix; other names still work', async () => {
    const client = await TestClient.connect(open.url);
    assert.deepEqual(await verdicts(client, ['odin.token.BTC.price', 'odin.>', 'odin.*.BTC.price', 'tokens.BTC.price', 'token.BTC.price']), {
      'odin.token.BTC.price': 'UNKNOWN_CHANNEL',
      'odin.>': 'UNKNOWN_CHANNEL',
      'odin.*.BTC.price': 'UNKNOWN_CHANNEL',
      'tokens.BTC.price': 'ok',
      'token.BTC.price': 'ok',
    });
    const first = client.ofType('error').find((e) => e.channel === 'odin.token.BTC.price')!;
    assert.match(first.message, /without the NATS prefix "odin\.": "token\.BTC\.price"/);
    assert.equal(client.closeCode, undefined, 'the connection stays open');
    client.close();
    assert.equal(metricValue(await fetchMetrics(open.httpUrl), 'ws_client_errors_total', { code: 'UNKNOWN_CHANNEL' }), 3);
  });

  it(`with --channel-families ${documentedFamilies}: a name or pattern outside them is refused, inside them subscribed; one subscribe's other entries still apply`, async () => {
    const client = await TestClient.connect(strict.url);
    assert.deepEqual(await verdicts(client, ['tokens.BTC.price', 'token.BTC.prices', 'tokens.>', 'market.stats', 'token.*.price', 'market.statistics', 'book.BTC', 'trades.user.*']), {
      'tokens.BTC.price': 'UNKNOWN_CHANNEL',
      'token.BTC.prices': 'UNKNOWN_CHANNEL',
      'tokens.>': 'UNKNOWN_CHANNEL',
      'market.stats': 'UNKNOWN_CHANNEL',
      'token.*.price': 'ok',
      'market.statistics': 'ok',
      'book.BTC': 'ok',
      'trades.user.*': 'FORBIDDEN',
    });
    const mixed = await TestClient.connect(strict.url);
    mixed.send({ type: 'subscribe', id: 'm', channels: ['tokens.ETH.price', 'token.ETH.price'] });
    await mixed.waitFor(() => mixed.ofType('subscribed').some((s) => s.channel === 'token.ETH.price') && mixed.ofType('error').length === 1, 10_000, 'one refusal, one subscription');
    assert.deepEqual(mixed.ofType('error').map((e) => [e.code, e.channel]), [['UNKNOWN_CHANNEL', 'tokens.ETH.price']]);
    client.close();
    mixed.close();
  });

  it('the server API publish agrees: odin.* always, a channel outside the families when set, 400 UNKNOWN_CHANNEL', async () => {
    const prefixed = await api(open.httpUrl, 'POST', '/api/publish', { channel: 'odin.token.BTC.price', data: { price: 1 } });
    assert.equal(prefixed.status, 400);
    assert.equal(prefixed.body.error.code, 'UNKNOWN_CHANNEL');
    assert.match(prefixed.body.error.message, /"token\.BTC\.price"/);
    assert.equal((await api(open.httpUrl, 'POST', '/api/publish', { channel: 'tokens.BTC.price', data: { price: 1 } })).status, 200, 'any name on a gateway without families');
    const outside = await api(strict.httpUrl, 'POST', '/api/publish', { channel: 'tokens.BTC.price', data: { price: 1 } });
    assert.equal(outside.status, 400);
    assert.equal(outside.body.error.code, 'UNKNOWN_CHANNEL');
    assert.equal((await api(strict.httpUrl, 'POST', '/api/publish', { channel: 'token.BTC.price', data: { price: 1 } })).status, 200);
  });

  it('npx odin gateway --channel-families as the docs write it answers a misspelt channel', async () => {
    const gateway = startOdin(['gateway', '--port', '0', '--host', '127.0.0.1', '--channel-families', documentedFamilies]);
    try {
      const { port } = await gateway.waitForEvent('gateway_started');
      const client = await TestClient.connect(`ws://127.0.0.1:${port as number}/ws`);
      assert.deepEqual(await verdicts(client, ['tokens.BTC.price', 'token.BTC.price']), { 'tokens.BTC.price': 'UNKNOWN_CHANNEL', 'token.BTC.price': 'ok' });
      client.close();
    } finally {
      gateway.kill('SIGKILL');
      await gateway.exited;
    }
    const bad = startOdin(['gateway', '--port', '0', '--channel-families', 'token..price']);
    assert.equal(await bad.exited, 2);
    assert.match(bad.stderr, /--channel-families\/CHANNEL_FAMILIES: "token..price"/);
  });
});
