// A subscribe that could never deliver is answered, not silent: a name with
// the NATS prefix (`odin.token.BTC.price`) always, and a name in none of the
// gateway's channel families (`tokens.BTC.price`): by default the documented
// families, as docs/protocol.md writes them; `--channel-families '>'` opts in
// to any name. The server API's publish and /sse agree.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gatewayConfigFrom } from '../../src/config/gateway-options.js';
import { ConfigError } from '../../src/config/option-parser.js';
import { REPO_ROOT, startOdin, type OdinProcess } from '../helpers/child-process.js';
import { startTestGateway, type GatewayHarness } from '../helpers/gateway-harness.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { SseClient } from '../helpers/sse-client.js';
import { TestClient } from '../helpers/test-client.js';
import { api, API_KEY } from '../api/api-fixtures.js';

/** The default families as protocol.md's Channels section writes them. */
const documentedFamilies = ((): string => {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'protocol.md'), 'utf8');
  const m = /`--channel-families`\/`CHANNEL_FAMILIES`\s+\(patterns\), by default [^`]*`book\.\*` from\s+\[books\.md\]\(books\.md\): `([^`]+)`/.exec(doc);
  assert.ok(m, "protocol.md's Channels section gives the default --channel-families");
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
    open = await startTestGateway({ apiKeys: [API_KEY], channelFamilies: ['>'] });
    // What a gateway resolves with no --channel-families and no CHANNEL_FAMILIES.
    strict = await startTestGateway({ apiKeys: [API_KEY], channelFamilies: gatewayConfigFrom([], {}).channelFamilies });
  });
  after(async () => {
    await open.stop();
    await strict.stop();
  });

  it("odin.<channel> is refused UNKNOWN_CHANNEL on any gateway, --channel-families '>' included, naming the channel without the prefix; other names still work", async () => {
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

  it(`by default (${documentedFamilies}, the documented families): a name or pattern outside them is refused, inside them subscribed; one subscribe's other entries still apply`, async () => {
    const client = await TestClient.connect(strict.url);
    const patterns = await TestClient.connect(strict.url);
    assert.deepEqual(await verdicts(patterns, ['token.>', 'market.*']), { 'token.>': 'ok', 'market.*': 'ok' }, 'a pattern that can match a family is carried');
    patterns.close();
    assert.deepEqual(await verdicts(client, ['tokens.BTC.price', 'token.BTC.prices', 'tokens.>', 'market.stats', 'news.x', 'token.*.price', 'market.statistics', 'book.BTC', 'trades.user.*']), {
      'tokens.BTC.price': 'UNKNOWN_CHANNEL',
      'token.BTC.prices': 'UNKNOWN_CHANNEL',
      'tokens.>': 'UNKNOWN_CHANNEL',
      'market.stats': 'UNKNOWN_CHANNEL',
      'news.x': 'UNKNOWN_CHANNEL',
      'token.*.price': 'ok',
      'market.statistics': 'ok',
      'book.BTC': 'ok',
      'trades.user.*': 'FORBIDDEN',
    });
    const refusal = client.ofType('error').find((e) => e.channel === 'tokens.BTC.price')!;
    assert.match(refusal.message, /token\.\*\.price, market\.statistics, trades\.user\.\*, book\.\*/, 'the answer names the families');
    const mixed = await TestClient.connect(strict.url);
    mixed.send({ type: 'subscribe', id: 'm', channels: ['tokens.ETH.price', 'token.ETH.price'] });
    await mixed.waitFor(() => mixed.ofType('subscribed').some((s) => s.channel === 'token.ETH.price') && mixed.ofType('error').length === 1, 10_000, 'one refusal, one subscription');
    assert.deepEqual(mixed.ofType('error').map((e) => [e.code, e.channel]), [['UNKNOWN_CHANNEL', 'tokens.ETH.price']]);
    client.close();
    mixed.close();
  });

  it('the server API publish agrees: odin.* always, a channel outside the default families 400 UNKNOWN_CHANNEL, any name with >', async () => {
    const prefixed = await api(open.httpUrl, 'POST', '/api/publish', { channel: 'odin.token.BTC.price', data: { price: 1 } });
    assert.equal(prefixed.status, 400);
    assert.equal(prefixed.body.error.code, 'UNKNOWN_CHANNEL');
    assert.match(prefixed.body.error.message, /"token\.BTC\.price"/);
    assert.equal((await api(open.httpUrl, 'POST', '/api/publish', { channel: 'tokens.BTC.price', data: { price: 1 } })).status, 200, "any name with --channel-families '>'");
    const outside = await api(strict.httpUrl, 'POST', '/api/publish', { channel: 'tokens.BTC.price', data: { price: 1 } });
    assert.equal(outside.status, 400);
    assert.equal(outside.body.error.code, 'UNKNOWN_CHANNEL');
    assert.equal((await api(strict.httpUrl, 'POST', '/api/publish', { channel: 'token.BTC.price', data: { price: 1 } })).status, 200);
  });

  it('the defaults are what the docs say: protocol.md, README and the option table agree; a default channel outside them is a configuration error', () => {
    assert.deepEqual(gatewayConfigFrom([], {}).channelFamilies, documentedFamilies.split(','));
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    assert.ok(readme.includes(`| \`--channel-families\` | \`CHANNEL_FAMILIES\` | \`${documentedFamilies}\` |`), "README's table gives the default");
    assert.throws(() => gatewayConfigFrom(['--default-channels', 'tokens.>'], {}), (err: Error) => err instanceof ConfigError && /--default-channels\/DEFAULT_CHANNELS: "tokens\.>": no channel of this gateway's families/.test(err.message));
    assert.deepEqual(gatewayConfigFrom(['--default-channels', 'tokens.>', '--channel-families', '>'], {}).defaultChannels, 'tokens.>');
  });

  it('npx odin dev with no --channel-families (as README starts it) answers tokens.BTC.price UNKNOWN_CHANNEL and delivers token.BTC.price, over WebSocket and /sse', async () => {
    // CHANNEL_FAMILIES: undefined = not set at all, the newcomer's environment.
    const dev = startOdin(['dev', '--port', '0', '--host', '127.0.0.1', '--control-port', '0'], { CHANNEL_FAMILIES: undefined });
    try {
      const { port } = await dev.waitForEvent('gateway_started', 60_000);
      const client = await TestClient.connect(`ws://127.0.0.1:${port as number}/ws`);
      assert.deepEqual(await verdicts(client, ['tokens.BTC.price', 'token.BTC.prices', 'odin.token.BTC.price', 'token.BTC.price']), {
        'tokens.BTC.price': 'UNKNOWN_CHANNEL',
        'token.BTC.prices': 'UNKNOWN_CHANNEL',
        'odin.token.BTC.price': 'UNKNOWN_CHANNEL',
        'token.BTC.price': 'ok',
      });
      // The simulator publishes token.BTC.price: a live message (past the subscription's seam, not only the latest value) arrives.
      const seam = client.ofType('subscribed').find((a) => a.channel === 'token.BTC.price')!.position.seq;
      await client.waitFor(() => client.dataOn('token.BTC.price').some((m) => m.seq > seam), 30_000, 'a live token.BTC.price message');
      assert.equal(client.dataOn('tokens.BTC.price').length, 0);
      client.close();
      const sse = new SseClient(`http://127.0.0.1:${port as number}/sse?channels=tokens.BTC.price,token.BTC.price`);
      await sse.connect();
      await sse.waitFor(() => sse.ofEvent('odin-error').length > 0 && sse.dataOn('token.BTC.price').length > 0, 30_000, 'a refusal and a price over /sse');
      const sseError = sse.json<{ code: string; channel: string }>('odin-error')[0]!;
      assert.deepEqual([sseError.code, sseError.channel], ['UNKNOWN_CHANNEL', 'tokens.BTC.price']);
      sse.drop();
    } finally {
      await stop(dev);
    }
  });

  it("npx odin gateway --channel-families as the docs write it: families of your own, '>' for any name; a bad pattern exits 2", async () => {
    const own = startOdin(['gateway', '--port', '0', '--host', '127.0.0.1', '--channel-families', `${documentedFamilies},news.*`], { CHANNEL_FAMILIES: undefined });
    const any = startOdin(['gateway', '--port', '0', '--host', '127.0.0.1', '--channel-families', '>'], { CHANNEL_FAMILIES: undefined });
    try {
      const ownPort = (await own.waitForEvent('gateway_started')).port as number;
      const anyPort = (await any.waitForEvent('gateway_started')).port as number;
      const ownClient = await TestClient.connect(`ws://127.0.0.1:${ownPort}/ws`);
      assert.deepEqual(await verdicts(ownClient, ['tokens.BTC.price', 'news.eu', 'token.BTC.price']), { 'tokens.BTC.price': 'UNKNOWN_CHANNEL', 'news.eu': 'ok', 'token.BTC.price': 'ok' });
      const anyClient = await TestClient.connect(`ws://127.0.0.1:${anyPort}/ws`);
      assert.deepEqual(await verdicts(anyClient, ['tokens.BTC.price', 'odin.token.BTC.price']), { 'tokens.BTC.price': 'ok', 'odin.token.BTC.price': 'UNKNOWN_CHANNEL' });
      ownClient.close();
      anyClient.close();
    } finally {
      await stop(own);
      await stop(any);
    }
    const bad = startOdin(['gateway', '--port', '0', '--channel-families', 'token..price']);
    assert.equal(await bad.exited, 2);
    assert.match(bad.stderr, /--channel-families\/CHANNEL_FAMILIES: "token..price"/);
  });
});

async function stop(odin: OdinProcess): Promise<void> {
  odin.kill('SIGKILL');
  await odin.exited;
}
