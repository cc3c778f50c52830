// A secret given as a flag is readable by any local user (ps): every process
// that takes one says so, --api-key included, and never echoes the secret.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { CLI, startOdin } from '../helpers/child-process.js';
import { freePorts } from '../helpers/nats-server.js';

const KEY = 'k3y-for-the-secret-flag-test';

describe('secrets given as flags', () => {
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
