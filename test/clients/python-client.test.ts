// The Python client (clients/python, package odin_client) against real
// gateways: two `odin gateway` processes over one real nats-server, with a
// server API key (the tests publish through it) and an HS256 secret (the
// tests mint tokens). pytest runs clients/python/tests with their URLs; its
// last test stops gateway A (SIGINT, by the PID given here) under a client
// connected to it, which must resume on B with 0 gaps.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { startOdin, type OdinProcess } from '../helpers/child-process.js';
import { NatsServer } from '../helpers/nats-server.js';

import { PYTHON } from '../helpers/python.js';
const API_KEY = 'python-client-test-api-key-0123456789';
const JWT_SECRET = 'python-client-test-jwt-secret-0123456789abcdef';

async function startGateway(natsUrl: string, name: string): Promise<{ odin: OdinProcess; port: number }> {
  const odin = startOdin(['gateway', '--host', '127.0.0.1', '--port', '0', '--nats', natsUrl, '--nats-stream', 'ODINPY', '--instance-id', name, '--log-level', 'info'], {
    API_KEYS: API_KEY,
    JWT_SECRET,
  });
  const started = await odin.waitForEvent('gateway_started', 30_000);
  return { odin, port: started.port as number };
}

describe('Python client (pytest) against two gateways over NATS', () => {
  let nats: NatsServer;
  const gateways: Array<{ odin: OdinProcess; port: number }> = [];

  before(async () => {
    nats = await NatsServer.start();
    gateways.push(await startGateway(nats.url, 'py-a'));
    gateways.push(await startGateway(nats.url, 'py-b'));
  });

  after(async () => {
    for (const g of gateways) {
      g.odin.kill('SIGINT');
      await g.odin.exited;
    }
    await nats?.stop();
  });

  it('pytest clients/python/tests passes', async () => {
    const [a, b] = gateways as [{ odin: OdinProcess; port: number }, { odin: OdinProcess; port: number }];
    const env = {
      ...process.env,
      ODIN_WS_A: `ws://127.0.0.1:${a.port}/ws`,
      ODIN_WS_B: `ws://127.0.0.1:${b.port}/ws`,
      ODIN_HTTP_A: `http://127.0.0.1:${a.port}`,
      ODIN_HTTP_B: `http://127.0.0.1:${b.port}`,
      ODIN_API_KEY: API_KEY,
      ODIN_JWT_SECRET: JWT_SECRET,
      ODIN_GATEWAY_A_PID: String(a.odin.child.pid),
      PYTHONDONTWRITEBYTECODE: '1',
    };
    const pytest = spawn(PYTHON, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'clients/python/tests'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    pytest.stdout.on('data', (c: Buffer) => (output += c.toString()));
    pytest.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((resolve) => pytest.on('exit', resolve));
    console.log(output.trim());
    assert.equal(code, 0, `pytest failed:\n${output}`);
    assert.match(output, /\b\d+ passed\b/);
    assert.doesNotMatch(output, /\b(failed|error|skipped)\b/);
    // The failover test really stopped A: the client had to move.
    assert.ok(a.odin.child.signalCode !== null || a.odin.child.exitCode !== null || (await a.odin.exited) !== undefined, 'gateway A was stopped by the failover test');
  });
});
