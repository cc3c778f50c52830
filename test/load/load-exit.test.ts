// `odin load` fails (exit 3, one line saying why) when it measured nothing: a
// dead URL (no connection opened) or a gateway nothing publishes to (no
// message received). Before, both exited 0 and looked like success.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { CLI, startOdin } from '../helpers/child-process.js';
import { freePorts } from '../helpers/nats-server.js';

function runLoad(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'load', 'custom', '--quiet', ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('odin load exit status', () => {
  it('a dead URL: exit 3, "no connection opened" with the errors by code', async () => {
    const [port] = await freePorts(1);
    const r = await runLoad(['--url', `ws://127.0.0.1:${port}/ws`, '--connections', '3', '--duration', '1']);
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, new RegExp(`odin load: no connection opened \\(\\d+ attempted, \\d+ failed: ECONNREFUSED \\d+\\); is a gateway listening at ws://127\\.0\\.0\\.1:${port}/ws\\?`));
  });

  it('a gateway nothing publishes to: exit 3, "no message received"', { timeout: 60_000 }, async () => {
    const gateway = startOdin(['gateway', '--port', '0', '--host', '127.0.0.1']);
    try {
      const { port } = await gateway.waitForEvent('gateway_started');
      const r = await runLoad(['--url', `ws://127.0.0.1:${String(port)}/ws`, '--connections', '3', '--duration', '1']);
      assert.equal(r.status, 3, r.stderr);
      assert.match(r.stdout, /opened +3|3 opened/);
      assert.match(r.stderr, /odin load: no message received on 3 connections/);
    } finally {
      gateway.kill('SIGKILL');
    }
  });
});
