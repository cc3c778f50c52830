// Keys a production gateway needs, over real WebSockets: several HS256
// secrets (rotation), secrets from a file, a minimum length, RS256/ES256/EdDSA
// from a JWKS file and from a JWKS URL (a new kid works without restart, a
// removed one stops working), iss/aud, exp required, clock tolerance, and the
// Bearer scheme in any case. Each finding of issue 11 that these cover was a
// silent acceptance before; every refusal here is a 4003.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SignJWT, UnsecuredJWT } from 'jose';
import { gatewayConfigFrom } from '../../src/config/gateway-options.js';
import { ConfigError } from '../../src/config/option-parser.js';
import { startTestGateway, type GatewayHarness } from '../helpers/gateway-harness.js';
import { hs256, identify, JwksServer, SECRET_A, SECRET_B, testKey, userOf, type TestKey } from './identity-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'odin-identity-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('HS256 secrets', () => {
  let h: GatewayHarness;
  before(async () => {
    h = await startTestGateway({ jwtSecret: `${SECRET_A},${SECRET_B}` });
  });
  after(() => h.stop());

  it('accepts tokens signed with any configured secret (rotation), refuses others with 4003', async () => {
    assert.equal(userOf(await identify(h.url, { token: await hs256(SECRET_A, { sub: 'alice' }) })), 'alice');
    assert.equal(userOf(await identify(h.url, { token: await hs256(SECRET_B, { sub: 'bob' }) })), 'bob');
    assert.deepEqual(await identify(h.url, { token: await hs256('some-other-secret-0123456789abcdefgh') }), { closed: 4003, reason: 'TOKEN_INVALID_SIGNATURE' });
  });

  it('takes the Bearer scheme in any case (lower case used to make the client silently anonymous)', async () => {
    const token = await hs256(SECRET_A, { sub: 'carol' });
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      assert.equal(userOf(await identify(h.url, { authorization: `${scheme} ${token}` })), 'carol', scheme);
    }
    // A malformed header is not a token: anonymous, as with no header.
    assert.equal(userOf(await identify(h.url, { authorization: `Basic ${token}` })), null);
  });

  it('requires exp by default: a token without exp is refused', async () => {
    assert.deepEqual(await identify(h.url, { token: await hs256(SECRET_A, { expiresIn: null }) }), { closed: 4003, reason: 'TOKEN_INVALID_CLAIMS' });
  });

  it('refuses alg none, an expired token, a bad sub, a token from the future and garbage, each with its reason', async () => {
    const none = new UnsecuredJWT({}).setSubject('alice').setExpirationTime('1h').encode();
    assert.deepEqual(await identify(h.url, { token: none }), { closed: 4003, reason: 'TOKEN_ALGORITHM_REFUSED' });
    assert.deepEqual(await identify(h.url, { token: await hs256(SECRET_A, { expiresIn: -60 }) }), { closed: 4003, reason: 'TOKEN_EXPIRED' });
    assert.deepEqual(await identify(h.url, { token: await hs256(SECRET_A, { sub: 'trades.user.bob' }) }), { closed: 4003, reason: 'TOKEN_INVALID_CLAIMS' });
    assert.deepEqual(await identify(h.url, { token: await hs256(SECRET_A, { claims: { nbf: Math.floor(Date.now() / 1000) + 600 } }) }), { closed: 4003, reason: 'TOKEN_NOT_YET_VALID' });
    assert.deepEqual(await identify(h.url, { token: 'not-a-jwt' }), { closed: 4003, reason: 'TOKEN_MALFORMED' });
    const [header, , signature] = (await hs256(SECRET_A)).split('.');
    assert.deepEqual(await identify(h.url, { token: `${header}.bm90IGpzb24.${signature}` }), { closed: 4003, reason: 'TOKEN_INVALID_SIGNATURE' }, 'a payload that is not JSON does not verify first');
  });
});

describe('secret settings', () => {
  it('reads secrets from a file, one per line, with comments', async () => {
    const file = join(dir, 'secrets');
    writeFileSync(file, `# current\n${SECRET_B}\n\n# previous, until old tokens expired\n${SECRET_A}\n`);
    const h = await startTestGateway({ jwtSecretFile: file });
    try {
      assert.equal(userOf(await identify(h.url, { token: await hs256(SECRET_A) })), 'alice');
      assert.equal(userOf(await identify(h.url, { token: await hs256(SECRET_B) })), 'alice');
    } finally {
      await h.stop();
    }
  });

  it('refuses to start with a secret shorter than the minimum (a 1-character secret was accepted)', async () => {
    await assert.rejects(startTestGateway({ jwtSecret: 'x' }), (err: Error) => err instanceof ConfigError && /at least 32/.test(err.message));
    await assert.rejects(startTestGateway({ jwtSecret: `${SECRET_A},short-secret` }), ConfigError);
    const h = await startTestGateway({ jwtSecret: 'sixteen-bytes-ok', jwtMinSecretBytes: 16 });
    await h.stop();
  });

  it('--auth-required needs some key; contradictory NATS credentials are refused', () => {
    assert.throws(() => gatewayConfigFrom(['--auth-required'], {}), /needs a key/);
    assert.doesNotThrow(() => gatewayConfigFrom(['--auth-required', '--jwt-jwks-url', 'https://id.example/jwks.json'], {}));
    assert.throws(() => gatewayConfigFrom(['--nats-user', 'gateway'], {}), /go together/);
    assert.throws(() => gatewayConfigFrom(['--nats-token', 't'], { NATS_USER: 'u', NATS_PASSWORD: 'p' }), /one method at a time/);
  });
});

describe('issuer, audience, exp and clock tolerance', () => {
  it('checks iss and aud when configured', async () => {
    const h = await startTestGateway({ jwtSecret: SECRET_A, jwtIssuer: ['https://id.example'], jwtAudience: ['odin'] });
    try {
      assert.equal(userOf(await identify(h.url, { token: await hs256(SECRET_A, { iss: 'https://id.example', aud: 'odin' }) })), 'alice');
      // The reason names the claim to fix, never the issuer or audience the gateway expects.
      assert.deepEqual(await identify(h.url, { token: await hs256(SECRET_A, { iss: 'https://evil.example', aud: 'odin' }) }), { closed: 4003, reason: 'TOKEN_WRONG_ISSUER' });
      assert.deepEqual(await identify(h.url, { token: await hs256(SECRET_A, { iss: 'https://id.example', aud: 'another-app' }) }), { closed: 4003, reason: 'TOKEN_WRONG_AUDIENCE' });
      assert.deepEqual(await identify(h.url, { token: await hs256(SECRET_A, { aud: 'odin' }) }), { closed: 4003, reason: 'TOKEN_WRONG_ISSUER' }, 'iss missing');
    } finally {
      await h.stop();
    }
  });

  it('accepts a token without exp only when told to, and a just-expired one within the clock tolerance', async () => {
    const h = await startTestGateway({ jwtSecret: SECRET_A, jwtRequireExp: false, jwtClockToleranceSec: 30 });
    try {
      const outcome = await identify(h.url, { token: await hs256(SECRET_A, { expiresIn: null }) });
      assert.equal(userOf(outcome), 'alice');
      assert.equal((outcome as { welcome: { exp: number | null } }).welcome.exp, null);
      assert.equal(userOf(await identify(h.url, { token: await hs256(SECRET_A, { expiresIn: -10 }) })), 'alice');
      assert.deepEqual(await identify(h.url, { token: await hs256(SECRET_A, { expiresIn: -60 }) }), { closed: 4003, reason: 'TOKEN_EXPIRED' });
    } finally {
      await h.stop();
    }
  });
});

describe('public keys from a JWKS file', () => {
  let keys: TestKey[];
  let h: GatewayHarness;
  before(async () => {
    keys = [await testKey('RS256', 'rsa-1'), await testKey('ES256', 'ec-1'), await testKey('EdDSA', 'ed-1')];
    const file = join(dir, 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: keys.map((k) => k.publicJwk) }));
    h = await startTestGateway({ jwtJwksFile: file });
  });
  after(() => h.stop());

  it('accepts RS256, ES256 and EdDSA tokens by kid', async () => {
    for (const key of keys) assert.equal(userOf(await identify(h.url, { token: await key.sign({ sub: `user-${key.alg}` }) })), `user-${key.alg}`, key.alg);
  });

  it('refuses an unknown kid, HS256 (no secret configured) and the public key used as an HMAC secret', async () => {
    const stranger = await testKey('RS256', 'rsa-unknown');
    assert.deepEqual(await identify(h.url, { token: await stranger.sign() }), { closed: 4003, reason: 'TOKEN_UNKNOWN_KEY' });
    assert.deepEqual(await identify(h.url, { token: await hs256(SECRET_A) }), { closed: 4003, reason: 'TOKEN_ALGORITHM_REFUSED' });
    const confused = await new SignJWT({}).setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' }).setSubject('alice').setExpirationTime('1h').sign(new TextEncoder().encode(JSON.stringify(keys[0]!.publicJwk)));
    assert.deepEqual(await identify(h.url, { token: confused }), { closed: 4003, reason: 'TOKEN_ALGORITHM_REFUSED' });
    const forged = (await stranger.sign()).split('.');
    const [genuineHeader] = (await keys[0]!.sign()).split('.');
    assert.deepEqual(await identify(h.url, { token: `${genuineHeader}.${forged[1]}.${forged[2]}` }), { closed: 4003, reason: 'TOKEN_INVALID_SIGNATURE' }, 'a known kid, signed by another key');
  });

  it('refuses to start on a JWKS file holding private keys', async () => {
    const file = join(dir, 'private-jwks.json');
    const { exportJWK } = await import('jose');
    writeFileSync(file, JSON.stringify({ keys: [{ ...(await exportJWK(keys[0]!.privateKey)), kid: 'oops' }] }));
    await assert.rejects(startTestGateway({ jwtJwksFile: file }), /private or symmetric/);
  });
});

describe('public keys from a JWKS URL (a local server serving a JWKS the test generates)', () => {
  let jwks: JwksServer;
  let h: GatewayHarness;
  let first: TestKey;
  let second: TestKey;
  before(async () => {
    first = await testKey('RS256', 'rsa-2025');
    second = await testKey('RS256', 'rsa-2026');
    jwks = await new JwksServer().start();
    jwks.keys = [first.publicJwk];
    // Cooldown 0: an unknown kid refetches at once. Cache 1 s: a removed key is forgotten within a second.
    h = await startTestGateway({ jwtJwksUrl: jwks.url, jwtJwksCooldownSec: 0, jwtJwksCacheSec: 1 });
  });
  after(async () => {
    await h.stop();
    await jwks.stop();
  });

  it('accepts a new kid without restart and refuses a removed one', async () => {
    assert.equal(userOf(await identify(h.url, { token: await first.sign({ sub: 'alice' }) })), 'alice');
    // Not published yet: refused.
    assert.deepEqual(await identify(h.url, { token: await second.sign({ sub: 'bob' }) }), { closed: 4003, reason: 'TOKEN_UNKNOWN_KEY' });
    // Rotation step 1: publish the new key next to the old one. The unknown kid makes the gateway refetch.
    jwks.keys = [first.publicJwk, second.publicJwk];
    const fetchesBefore = jwks.fetches;
    assert.equal(userOf(await identify(h.url, { token: await second.sign({ sub: 'bob' }) })), 'bob');
    assert.ok(jwks.fetches > fetchesBefore, 'the new kid was fetched');
    assert.equal(userOf(await identify(h.url, { token: await first.sign({ sub: 'alice' }) })), 'alice');
    // Step 2: remove the old key. Once the cached set is older than the cache age, it is refused.
    jwks.keys = [second.publicJwk];
    const old = await first.sign({ sub: 'alice' });
    let outcome = await identify(h.url, { token: old });
    for (let i = 0; i < 100 && userOf(outcome) === 'alice'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      outcome = await identify(h.url, { token: old });
    }
    assert.deepEqual(outcome, { closed: 4003, reason: 'TOKEN_UNKNOWN_KEY' });
    assert.equal(userOf(await identify(h.url, { token: await second.sign({ sub: 'bob' }) })), 'bob');
  });

  it('an unreachable JWKS refuses tokens (4003) instead of crashing', async () => {
    const dead = await new JwksServer().start();
    const url = dead.url;
    await dead.stop();
    const g = await startTestGateway({ jwtJwksUrl: url });
    try {
      assert.deepEqual(await identify(g.url, { token: await first.sign() }), { closed: 4003, reason: 'TOKEN_KEYS_UNAVAILABLE' });
      assert.equal(userOf(await identify(g.url)), null, 'anonymous still works');
    } finally {
      await g.stop();
    }
  });
});
