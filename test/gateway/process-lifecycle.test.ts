// The real CLI as a user runs it: `odin dev` serves /health and prices at
// once; a bad setting exits 2 naming it; SIGTERM closes clients with 1001 and
// exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { CLI, startOdin } from '../helpers/child-process.js';
import { TestClient } from '../helpers/test-client.js';

test('odin dev serves /health within seconds and streams BTC prices; SIGTERM drains and exits 0', async () => {
  const odin = startOdin(['dev', '--port', '0', '--host', '127.0.0.1', '--rate', '50']);
  try {
    const started = await odin.waitForEvent('gateway_started');
    const port = started.port as number;
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    assert.equal(health.status, 200);
    // bufferutil's prebuilt binary (linux-x64, N-API) loads on every supported Node, or Node unmasks natively.
    assert.ok(['bufferutil', 'node'].includes(started.ws_masking as string), `client frames unmasked by ${String(started.ws_masking)}`);
    assert.match(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), /^ws_native_bufferutil 1$/m);
    const c = await TestClient.connect(`ws://127.0.0.1:${port}/ws`);
    await c.subscribe([{ channel: 'token.BTC.price', latest: true }]);
    await c.waitFor(() => c.dataOn('token.BTC.price').length >= 3, 10_000, 'BTC prices');
    const tick = c.dataOn('token.BTC.price').at(-1)!;
    assert.equal(tick.event, 'price:update');
    assert.equal((tick.data as { tokenId: string }).tokenId, 'BTC');
    assert.equal(typeof (tick.data as { price: number }).price, 'number');
    assert.deepEqual(c.gaps, []);

    odin.kill('SIGTERM');
    assert.equal(await c.waitClosed(10_000), 1001);
    assert.equal(await odin.exited, 0);
    assert.ok(odin.lines.some((l) => l.event === 'shutdown_complete'));
  } finally {
    odin.kill('SIGKILL');
  }
});

test('a bad configuration value exits with status 2 and names the option and the value', () => {
  const r = spawnSync(process.execPath, [CLI, 'gateway', '--port', 'seventy'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--port\/PORT: expected an integer, got "seventy"/);
  const e = spawnSync(process.execPath, [CLI, 'gateway'], { encoding: 'utf8', env: { ...process.env, MAX_QUEUE_BYTES: '-5' } });
  assert.equal(e.status, 2);
  assert.match(e.stderr, /MAX_QUEUE_BYTES: must be at least 1024, got -5/);
  const u = spawnSync(process.execPath, [CLI, 'gateway', '--prot', '1'], { encoding: 'utf8' });
  assert.equal(u.status, 2);
  assert.match(u.stderr, /unknown option --prot/);
});
