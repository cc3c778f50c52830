// `odin publisher` as a process: PORT is honoured (the reference ignored it),
// --autostart publishes at once, SIGTERM exits cleanly. Also: 50,000 msg/s is
// accepted and really drives the engine hard (bound kept generous on purpose).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { control, getJson, sleep, startTestPublisher } from './publisher-fixtures.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await sleep(50);
  }
}

describe('odin publisher command', () => {
  it('listens on PORT, publishes with --autostart, exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['dist/src/cli/main.js', 'publisher', '--autostart', '--host', '127.0.0.1', '--rate', '50'], {
      env: { ...process.env, PORT: String(port), LOG_LEVEL: 'warn', NATS_URL: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitForHttp(`http://127.0.0.1:${port}/health`, 10_000);
      await sleep(300);
      const stats = (await getJson(`http://127.0.0.1:${port}/stats`)).body;
      assert.equal(stats.isPublishing, true);
      assert.ok((stats.stats as { messagesPublished: number }).messagesPublished > 0);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, stderr);
  });

  it('accepts 50,000 msg/s and publishes far beyond the reference cap of 50', async () => {
    const h = await startTestPublisher();
    try {
      const r = await control(h.baseUrl, { action: 'start', messagesPerSecond: 50_000 });
      assert.equal(r.status, 200);
      await sleep(1000);
      const n = h.count('token.');
      assert.ok(n >= 5000, `${n} messages in a second at 50,000 msg/s requested`);
      await control(h.baseUrl, { action: 'stop' });
    } finally {
      await h.stop();
    }
  });
});
