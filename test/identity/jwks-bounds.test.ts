// JWKS URL bounds (issue 20, finding 9), against a real local HTTP server
// serving the JWKS and a real gateway: after a failed fetch the gateway backs
// off (a URL answering 500 was fetched 33-42 times in 0.4 s, once per token);
// a document over --jwt-jwks-max-bytes is refused, counted and never taken in
// (a 24 MB one cost +212 MiB); while a fetch is slow, at most
// --jwt-jwks-max-waiting upgrades wait for it and the others are refused at
// once with HTTP 503 jwks_busy instead of holding upgrade slots.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, type GatewayHarness } from '../helpers/gateway-harness.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { identify, JwksServer, testKey, userOf, type Outcome, type TestKey } from './identity-fixtures.js';

/** Fetches the backoff allows within `elapsedMs` of the first: 1 s doubling up to the cooldown. */
function attemptsAllowed(elapsedMs: number, cooldownMs: number): number {
  let at = 0;
  let attempts = 1;
  for (let n = 1; ; n++) {
    at += Math.min(Math.max(1000, cooldownMs), 1000 * 2 ** (n - 1));
    if (at > elapsedMs) return attempts;
    attempts++;
  }
}

/** Asks until the outcome is a welcome (the JWKS is usable again); the last outcome otherwise. */
async function untilWelcomed(url: string, token: string, tries = 120): Promise<Outcome> {
  let outcome = await identify(url, { token });
  for (let i = 0; i < tries && userOf(outcome) === undefined; i++) {
    await new Promise((r) => setTimeout(r, 250));
    outcome = await identify(url, { token });
  }
  return outcome;
}

async function counter(h: GatewayHarness, name: string, labels: Record<string, string>): Promise<number> {
  return metricValue(await fetchMetrics(h.httpUrl), name, labels);
}

describe('JWKS URL bounds', () => {
  let key: TestKey;
  let jwks: JwksServer;
  before(async () => {
    key = await testKey('RS256', 'rsa-bounds');
    jwks = await new JwksServer().start();
  });
  after(() => jwks.stop());

  it('after a failed fetch backs off: 200 tokens against a URL answering 500 make a handful of fetches, then a good JWKS is taken in', async () => {
    jwks.keys = [key.publicJwk];
    jwks.status = 500;
    jwks.fetches = 0;
    const cooldownSec = 30;
    const h = await startTestGateway({ jwtJwksUrl: jwks.url, jwtJwksCooldownSec: cooldownSec });
    try {
      const token = await key.sign({ sub: 'alice' });
      const started = Date.now();
      for (let batch = 0; batch < 10; batch++) {
        const outcomes = await Promise.all(Array.from({ length: 20 }, () => identify(h.url, { token })));
        for (const o of outcomes) assert.deepEqual(o, { closed: 4003, reason: 'TOKEN_KEYS_UNAVAILABLE' });
      }
      const elapsed = Date.now() - started;
      const allowed = attemptsAllowed(elapsed, cooldownSec * 1000) + 1;
      assert.ok(jwks.fetches >= 1 && jwks.fetches <= allowed, `${jwks.fetches} fetches in ${elapsed} ms for 200 tokens; the backoff allows ${allowed}`);
      assert.equal(await counter(h, 'ws_jwks_fetches_total', { result: 'http_error' }), jwks.fetches);
      // Concurrent tokens share one attempt (jose joins them): each batch asked at least once, and was refused without a fetch (backoff) or fetched.
      assert.ok((await counter(h, 'ws_jwks_fetches_total', { result: 'backoff' })) >= 10 - jwks.fetches, 'the attempts refused without a fetch are counted as backoff');
      // The URL recovers: once the backoff has passed, the next token fetches and verifies.
      jwks.status = 200;
      assert.equal(userOf(await untilWelcomed(h.url, token)), 'alice');
      assert.equal(await counter(h, 'ws_jwks_fetches_total', { result: 'ok' }), 1);
    } finally {
      await h.stop();
    }
  });

  for (const chunked of [false, true]) {
    it(`refuses a JWKS document over --jwt-jwks-max-bytes (${chunked ? 'chunked, no content-length' : 'content-length declared'}), counted, then takes in a small one`, async () => {
      jwks.status = 200;
      jwks.chunked = chunked;
      jwks.fetches = 0;
      // A real key padded with junk keys up to ~2 MB, against a 64 KiB bound.
      const junk = Array.from({ length: 20_000 }, (_, i) => ({ kty: 'RSA', kid: `junk-${i}`, n: 'x'.repeat(80), e: 'AQAB' }));
      jwks.body = JSON.stringify({ keys: [key.publicJwk, ...junk] });
      assert.ok(jwks.body.length > 2_000_000);
      const h = await startTestGateway({ jwtJwksUrl: jwks.url, jwtJwksMaxBytes: 65_536 });
      try {
        const token = await key.sign({ sub: 'alice' });
        assert.deepEqual(await identify(h.url, { token }), { closed: 4003, reason: 'TOKEN_KEYS_UNAVAILABLE' });
        assert.equal(jwks.fetches, 1);
        assert.equal(await counter(h, 'ws_jwks_fetches_total', { result: 'too_large' }), 1);
        jwks.body = undefined;
        assert.equal(userOf(await untilWelcomed(h.url, token)), 'alice');
      } finally {
        jwks.body = undefined;
        jwks.chunked = false;
        await h.stop();
      }
    });
  }

  it('refuses a JWKS document holding a private key (counted invalid)', async () => {
    jwks.status = 200;
    jwks.body = JSON.stringify({ keys: [{ ...key.publicJwk, d: 'private-part' }] });
    const h = await startTestGateway({ jwtJwksUrl: jwks.url });
    try {
      assert.deepEqual(await identify(h.url, { token: await key.sign() }), { closed: 4003, reason: 'TOKEN_KEYS_UNAVAILABLE' });
      assert.equal(await counter(h, 'ws_jwks_fetches_total', { result: 'invalid' }), 1);
    } finally {
      jwks.body = undefined;
      await h.stop();
    }
  });

  it('while a fetch is slow, --jwt-jwks-max-waiting upgrades wait for it and the others get HTTP 503 jwks_busy at once', async () => {
    jwks.status = 200;
    jwks.keys = [key.publicJwk];
    jwks.fetches = 0;
    jwks.hold = true;
    const maxWaiting = 4;
    const h = await startTestGateway({ jwtJwksUrl: jwks.url, jwtJwksMaxWaiting: maxWaiting });
    try {
      const token = await key.sign({ sub: 'alice' });
      const waiting = Array.from({ length: maxWaiting }, () => identify(h.url, { token }));
      // Positive marker: the gateway counts every one of them as an upgrade in progress, and the fetch reached the server.
      for (let i = 0; i < 400; i++) {
        if ((await counter(h, 'ws_upgrades_in_progress', {})) === maxWaiting && jwks.fetches === 1) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.equal(await counter(h, 'ws_upgrades_in_progress', {}), maxWaiting);
      const refused = await Promise.all(Array.from({ length: 6 }, () => identify(h.url, { token })));
      assert.deepEqual(refused, Array.from({ length: 6 }, () => ({ http: 503 })));
      assert.equal(await counter(h, 'ws_connections_failed_total', { reason: 'jwks_busy' }), 6);
      // Anonymous and HS256-free upgrades do not wait for the JWKS at all.
      assert.equal(userOf(await identify(h.url)), null);
      jwks.release();
      for (const outcome of await Promise.all(waiting)) assert.equal(userOf(outcome), 'alice');
      assert.equal(jwks.fetches, 1, 'the waiting upgrades shared one fetch');
      // Once the keys are cached, nobody waits and nobody is refused busy.
      const later = await Promise.all(Array.from({ length: 10 }, () => identify(h.url, { token })));
      for (const outcome of later) assert.equal(userOf(outcome), 'alice');
    } finally {
      jwks.release();
      await h.stop();
    }
  });
});
