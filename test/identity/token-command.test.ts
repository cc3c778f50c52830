// `odin token`, as docs/identity.md writes it: the document's commands run in
// bash (a gateway started with a secret, a token minted from the same
// variable, a stream opened with it) and the stream is alice's; a token from a
// private key connects to a gateway with the public key; errors name what is
// wrong without echoing a key.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, exportPKCS8, generateKeyPair } from 'jose';
import { CLI, REPO_ROOT } from '../helpers/child-process.js';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { freePorts } from '../helpers/nats-server.js';
import { identify, SECRET_A, userOf } from './identity-fixtures.js';

const doc = readFileSync(join(REPO_ROOT, 'docs', 'identity.md'), 'utf8');

/** The first ```bash block after `heading`. */
function blockAfter(heading: string): string[] {
  const at = doc.indexOf(heading);
  assert.ok(at >= 0, `${heading} is in identity.md`);
  const block = /```bash\n([\s\S]*?)```/.exec(doc.slice(at));
  assert.ok(block, `a bash block follows ${heading}`);
  return block[1]!.trim().split('\n');
}

function odinToken(args: string[], env: Record<string, string | undefined> = {}): { status: number | null; stdout: string; stderr: string } {
  const clean = { ...process.env, JWT_SECRET: undefined, JWT_SECRET_FILE: undefined, JWT_ISSUER: undefined, JWT_AUDIENCE: undefined, ...env };
  return spawnSync(process.execPath, [CLI, 'token', ...args], { encoding: 'utf8', env: clean as NodeJS.ProcessEnv });
}

describe('odin token', () => {
  it("identity.md's walk-through, run as written: the token it mints opens alice's stream on the gateway it started", { timeout: 120_000 }, async () => {
    const lines = blockAfter('### A token for development');
    const [port] = await freePorts(1);
    assert.ok(lines.some((l) => l.startsWith('TOKEN=$(npx odin token --sub alice')), lines.join('\n'));
    // The document's lines, in order. Two additions a person typing them does not need: the background
    // gateway's pid (to stop it) and, after the line that starts it, a wait for its readiness (a positive marker).
    const script: string[] = ['set -e', 'trap \'kill $ODIN_PID 2>/dev/null || true\' EXIT'];
    for (const line of lines) {
      script.push(line.replaceAll('localhost:3004', `127.0.0.1:${port}`));
      if (/&\s*(#.*)?$/.test(line)) {
        script.push('ODIN_PID=$!');
        script.push(`until curl -sf -o /dev/null http://127.0.0.1:${port}/readyz; do kill -0 $ODIN_PID || { cat odin-dev.log; exit 9; }; sleep 0.1; done`);
      }
    }
    // PORT: the test's free port instead of 3004; CONTROL_PORT 0: the simulator's control API on any free port.
    const bash = spawn('bash', ['-c', script.join('\n')], { cwd: REPO_ROOT, env: { ...process.env, PORT: String(port), CONTROL_PORT: '0', JWT_SECRET: '' }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    bash.stdout.on('data', (c: Buffer) => (out += c.toString()));
    bash.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((resolve) => bash.on('exit', resolve));
    try {
      const seen = (): boolean => /"type":"welcome"[^\n]*"user":"alice"/.test(out) && /"type":"subscribed"[^\n]*"channel":"trades\.user\.alice"/.test(out) && /"type":"message","channel":"token\.BTC\.price"/.test(out);
      const ended = await Promise.race([
        exited.then((code) => `bash exited ${code}`),
        new Promise<string>((resolve) => {
          const check = (): void => (seen() ? resolve('seen') : undefined);
          bash.stdout.on('data', check);
        }),
      ]);
      assert.equal(ended, 'seen', `stdout:\n${out.slice(0, 2000)}\nstderr:\n${err.slice(0, 2000)}`);
      assert.doesNotMatch(out, /odin-error/, 'no channel of the stream was refused');
    } finally {
      try {
        process.kill(-bash.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      await exited;
      // The log file the document names is written in the working directory (npx needs the checkout as that).
      rmSync(join(REPO_ROOT, 'odin-dev.log'), { force: true });
    }
  });

  it('mints with the gateway\'s first secret, iss and aud: that gateway accepts it, with the channels claim', async () => {
    const h = await startTestGateway({ jwtSecret: `${SECRET_A},an-older-secret-still-accepted-0123456789`, jwtIssuer: ['https://id.example'], jwtAudience: ['odin'] });
    try {
      const r = odinToken(['--sub', 'alice', '--channels', 'market.statistics', '--ttl', '15m'], { JWT_SECRET: `${SECRET_A},an-older-secret-still-accepted-0123456789`, JWT_ISSUER: 'https://id.example', JWT_AUDIENCE: 'odin' });
      assert.equal(r.status, 0, r.stderr);
      const token = r.stdout.trim();
      const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      assert.equal(payload.sub, 'alice');
      assert.deepEqual(payload.channels, ['market.statistics']);
      assert.equal(payload.iss, 'https://id.example');
      assert.equal(payload.aud, 'odin');
      assert.equal(Number(payload.exp) - Number(payload.iat), 900);
      assert.equal(userOf(await identify(h.url, { token })), 'alice');
      // Without the issuer the gateway checks, the reason says so.
      const noIss = odinToken(['--sub', 'alice'], { JWT_SECRET: SECRET_A });
      assert.deepEqual(await identify(h.url, { token: noIss.stdout.trim() }), { closed: 4003, reason: 'TOKEN_WRONG_ISSUER' });
    } finally {
      await h.stop();
    }
  });

  it('signs with a private key (JWK or PEM) for a gateway with the public key in its JWKS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'odin-token-'));
    try {
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      const jwks = join(dir, 'jwks.json');
      writeFileSync(jwks, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'dev-1', alg: 'ES256', use: 'sig' }] }));
      const jwkFile = join(dir, 'signing.jwk.json');
      writeFileSync(jwkFile, JSON.stringify({ ...(await exportJWK(privateKey)), kid: 'dev-1', alg: 'ES256' }));
      const pemFile = join(dir, 'signing.pem');
      writeFileSync(pemFile, await exportPKCS8(privateKey));
      const h = await startTestGateway({ jwtJwksFile: jwks });
      try {
        const fromJwk = odinToken(['--sub', 'bob', '--private-key-file', jwkFile]);
        assert.equal(fromJwk.status, 0, fromJwk.stderr);
        assert.equal(userOf(await identify(h.url, { token: fromJwk.stdout.trim() })), 'bob');
        const fromPem = odinToken(['--sub', 'carol', '--private-key-file', pemFile, '--alg', 'ES256', '--kid', 'dev-1']);
        assert.equal(fromPem.status, 0, fromPem.stderr);
        assert.equal(userOf(await identify(h.url, { token: fromPem.stdout.trim() })), 'carol');
      } finally {
        await h.stop();
      }
      // A wrong file is named, its contents never shown.
      const secretish = join(dir, 'not-a-key');
      writeFileSync(secretish, 'super-secret-value-0123456789');
      const wrong = odinToken(['--sub', 'bob', '--private-key-file', secretish, '--alg', 'ES256']);
      assert.equal(wrong.status, 2);
      assert.match(wrong.stderr, /not-a-key is not a PKCS#8 PEM ES256 private key/);
      assert.ok(!wrong.stderr.includes('super-secret-value'), wrong.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses what the gateway would refuse, exit 2 with the reason; warns about a secret given as a flag', () => {
    const noKey = odinToken(['--sub', 'alice']);
    assert.equal(noKey.status, 2);
    assert.match(noKey.stderr, /no key to sign with: set JWT_SECRET/);
    assert.match(odinToken(['--channels', 'x'], { JWT_SECRET: SECRET_A }).stderr, /--sub: the user id is required/);
    assert.match(odinToken(['--sub', 'trades.user.bob'], { JWT_SECRET: SECRET_A }).stderr, /--sub: .* is not 1-64 characters/);
    assert.match(odinToken(['--sub', 'alice', '--ttl', 'forever'], { JWT_SECRET: SECRET_A }).stderr, /--ttl: "forever" is not a lifetime/);
    assert.match(odinToken(['--sub', 'alice', '--channels', 'bad..name'], { JWT_SECRET: SECRET_A }).stderr, /--channels: "bad..name"/);
    const short = odinToken(['--sub', 'alice'], { JWT_SECRET: 'short' });
    assert.equal(short.status, 2);
    assert.ok(!short.stderr.includes('short'), `the secret is not echoed: ${short.stderr}`);
    const flagged = odinToken(['--sub', 'alice', '--jwt-secret', SECRET_A]);
    assert.equal(flagged.status, 0, flagged.stderr);
    assert.match(flagged.stderr, /warning: --jwt-secret on the command line can be read by any local user/);
    assert.ok(!flagged.stderr.includes(SECRET_A));
  });
});
