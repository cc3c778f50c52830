// A secret given as a flag is readable by any local user (ps): every process
// that takes one says so, naming the variable (and -file option) to use
// instead, --api-key included, and never echoes the secret. A secret file
// that is wrong is named, its contents never shown.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiLoadOptionTable } from '../../src/config/api-load-options.js';
import { gatewayOptionTable } from '../../src/config/gateway-options.js';
import type { OptionTable } from '../../src/config/option-parser.js';
import { publishOptionTable } from '../../src/config/publish-options.js';
import { controlOptionTable, publisherOptionTable } from '../../src/config/publisher-options.js';
import { tokenOptionTable } from '../../src/config/token-options.js';
import { devOptionTable } from '../../src/cli/commands/dev.js';
import { streamOptionTable } from '../../src/cli/commands/stream.js';
import { SECRET_FLAGS, secretFlagWarning } from '../../src/cli/secret-flags.js';
import { CLI, startOdin } from '../helpers/child-process.js';
import { freePorts } from '../helpers/nats-server.js';

const KEY = 'k3y-for-the-secret-flag-test';

/** Every command's options, as the command resolves them (odin dev: the gateway's and the simulator's). */
const COMMAND_TABLES: Record<string, OptionTable> = {
  gateway: { ...gatewayOptionTable, ...controlOptionTable },
  dev: { ...gatewayOptionTable, ...devOptionTable },
  publisher: publisherOptionTable,
  publish: publishOptionTable,
  'load api-publish': apiLoadOptionTable,
  token: tokenOptionTable,
  stream: streamOptionTable,
};

/** Runs the CLI to its end; a bound for a stuck process, not a speed check. */
function odin(args: string[], env: Record<string, string | undefined> = {}): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
}

describe('secrets given as flags', () => {
  it('every flag of every command that carries a secret itself is warned, and the warning names that command\'s variable', () => {
    for (const [command, table] of Object.entries(COMMAND_TABLES)) {
      for (const spec of Object.values(table)) {
        const flag = `--${spec.flag}`;
        // A flag whose value is a secret (not a file path, a length or a list of simulated token names).
        if (!/(secret|password|token|api-key)$/.test(spec.flag) || spec.flag === 'tokens') continue;
        assert.ok(SECRET_FLAGS.includes(flag), `${command} ${flag} is warned`);
        const warning = secretFlagWarning([flag], table);
        assert.ok(spec.env && warning.includes(`set ${spec.env}`), `${command} ${flag}: ${warning}`);
        const file = Object.values(table).find((o) => o.flag === `${spec.flag}-file`);
        if (file) assert.ok(warning.includes(`${spec.env} or --${file.flag} instead of ${flag}`), warning);
      }
    }
    assert.equal(secretFlagWarning(['--api-key'], COMMAND_TABLES.gateway!), '--api-key on the command line can be read by any local user (ps): set API_KEYS or --api-key-file instead of --api-key');
    assert.equal(secretFlagWarning(['--api-key'], COMMAND_TABLES.publish!), '--api-key on the command line can be read by any local user (ps): set ODIN_API_KEY instead of --api-key');
  });

  it('odin gateway --jwt-secret logs secret_on_command_line naming JWT_SECRET and --jwt-secret-file, without the secret', async () => {
    const secret = 'a-jwt-secret-of-more-than-32-bytes-for-the-test';
    const gateway = startOdin(['gateway', '--port', '0', '--host', '127.0.0.1', `--jwt-secret=${secret}`]);
    try {
      const warning = await gateway.waitForEvent('secret_on_command_line');
      assert.deepEqual([warning.flags, warning.variables], [['--jwt-secret'], ['JWT_SECRET']]);
      assert.match(warning.msg as string, /set JWT_SECRET or --jwt-secret-file instead of --jwt-secret/);
      await gateway.waitForEvent('gateway_started');
      assert.ok(!JSON.stringify(gateway.lines).includes(secret) && !gateway.stderr.includes(secret), 'the secret is never logged');
    } finally {
      gateway.kill('SIGKILL');
      await gateway.exited;
    }
  });

  it('odin dev --control-token names CONTROL_TOKEN; odin stream --nats-password names NATS_PASSWORD; odin token --jwt-secret names JWT_SECRET; none echoes the secret', async () => {
    const control = 'a-control-token-for-the-test-42';
    const dev = startOdin(['dev', '--port', '0', '--host', '127.0.0.1', '--control-port', '0', '--rate', '0', '--control-token', control]);
    try {
      const warning = await dev.waitForEvent('secret_on_command_line', 60_000);
      assert.deepEqual([warning.flags, warning.variables], [['--control-token'], ['CONTROL_TOKEN']]);
      assert.match(warning.msg as string, /set CONTROL_TOKEN or --control-token-file instead of --control-token/);
      assert.ok(!JSON.stringify(dev.lines).includes(control));
    } finally {
      dev.kill('SIGKILL');
      await dev.exited;
    }
    const [port] = await freePorts(1);
    const password = 'a-nats-password-for-the-test';
    const stream = odin(['stream', 'check', '--nats', `nats://127.0.0.1:${port}`, '--nats-user', 'odin', '--nats-password', password]);
    assert.match(stream.stderr, /^odin: warning: --nats-password on the command line can be read by any local user \(ps\): set NATS_PASSWORD or --nats-password-file instead of --nats-password/);
    assert.ok(!stream.stderr.includes(password) && !stream.stdout.includes(password));
    const secret = 'another-jwt-secret-of-more-than-32-bytes';
    const token = odin(['token', '--sub', 'alice', '--jwt-secret', secret], { JWT_SECRET: undefined, JWT_SECRET_FILE: undefined });
    assert.equal(token.status, 0, token.stderr);
    assert.match(token.stderr, /set JWT_SECRET or --jwt-secret-file instead of --jwt-secret/);
    assert.ok(!token.stderr.includes(secret) && !token.stdout.includes(secret));
  });

  it('a wrong secret file is named, its contents never shown: JWT secret, JWKS, API keys, control token, nkey seed, creds, private key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'odin-secret-files-'));
    const content = 'S3CRET-FILE-CONTENT';
    const file = (name: string, text: string): string => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };
    const [natsPort] = await freePorts(1);
    const nats = ['--nats', `nats://127.0.0.1:${natsPort}`];
    const cases: Array<{ what: string; args: string[]; names: string }> = [
      { what: 'a short JWT secret', args: ['gateway', '--port', '0', '--jwt-secret-file', file('jwt-secret', `${content}\n`)], names: 'JWT secret #1 is 19 bytes' },
      { what: 'a JWKS that is not JSON', args: ['gateway', '--port', '0', '--jwt-jwks-file', file('jwks.json', `${content}{`)], names: '--jwt-jwks-file/JWT_JWKS_FILE: ' },
      { what: 'a short API key', args: ['gateway', '--port', '0', '--api-key-file', file('api-keys', `${content.slice(0, 10)}\n`)], names: 'a key of 10 characters' },
      { what: 'a short control token', args: ['publisher', '--port', '0', '--control-token-file', file('control-token', content.slice(0, 10))], names: 'control token must be at least' },
      { what: 'an nkey seed that is none', args: ['gateway', '--port', '0', ...nats, '--nats-nkey-seed-file', file('seed.nk', `SU${content}`)], names: '--nats-nkey-seed-file/NATS_NKEY_SEED_FILE: ' },
      { what: 'a creds file that is none', args: ['gateway', '--port', '0', ...nats, '--nats-creds-file', file('user.creds', `-----BEGIN-----\n${content}\n`)], names: '--nats-creds-file/NATS_CREDS_FILE: ' },
      { what: 'a private key that is none', args: ['token', '--sub', 'alice', '--alg', 'ES256', '--private-key-file', file('key.pem', `-----BEGIN PRIVATE KEY-----\n${content}\n`)], names: '--private-key-file: ' },
    ];
    for (const c of cases) {
      const r = odin(c.args, { JWT_SECRET: undefined, JWT_SECRET_FILE: undefined, CONTROL_TOKEN: undefined });
      assert.equal(r.status, 2, `${c.what}: exit 2 (configuration): ${r.stderr}`);
      assert.ok(r.stderr.includes(c.names), `${c.what}: the message says what is wrong: ${r.stderr}`);
      assert.ok(!r.stderr.includes(content.slice(0, 10)) && !r.stdout.includes(content.slice(0, 10)), `${c.what}: the contents are not shown: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /\n\s+at /, `${c.what}: no stack trace`);
    }
  });

  it('odin gateway --api-key logs secret_on_command_line naming --api-key, without the key', async () => {
    const gateway = startOdin(['gateway', '--port', '0', '--host', '127.0.0.1', '--api-key', KEY]);
    try {
      const warning = await gateway.waitForEvent('secret_on_command_line');
      assert.deepEqual(warning.flags, ['--api-key']);
      await gateway.waitForEvent('gateway_started');
      assert.ok(!JSON.stringify(gateway.lines).includes(KEY), 'the key is never logged');
    } finally {
      gateway.kill('SIGKILL');
    }
  });

  it('odin publish --api-key warns on stderr, without the key', async () => {
    const [port] = await freePorts(1);
    const r = spawnSync(process.execPath, [CLI, 'publish', 'token.BTC.price', '{"price":1}', '--url', `http://127.0.0.1:${port}`, '--api-key', KEY], { encoding: 'utf8' });
    assert.match(r.stderr, /^odin: warning: --api-key on the command line can be read by any local user \(ps\)/);
    assert.ok(!r.stderr.includes(KEY));
    const quiet = spawnSync(process.execPath, [CLI, 'publish', 'token.BTC.price', '{"price":1}', '--url', `http://127.0.0.1:${port}`], { encoding: 'utf8', env: { ...process.env, ODIN_API_KEY: KEY } });
    assert.doesNotMatch(quiet.stderr, /warning/);
  });
});
