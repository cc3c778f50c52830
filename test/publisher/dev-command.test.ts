// `odin dev` (npm start) as a process: the gateway serves the demo page and the
// SDK, the publisher engine publishes at once, and its control API answers.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { getJson } from './publisher-fixtures.js';

describe('odin dev', () => {
  it('serves the demo page and the SDK, publishes by default and exposes the control API', async () => {
    // No --control-host: the control API must be on loopback by default.
    const child = spawn(process.execPath, ['dist/src/cli/main.js', 'dev', '--port', '0', '--control-port', '0', '--host', '127.0.0.1'], {
      env: { ...process.env, LOG_LEVEL: 'info', NATS_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const lines: Array<Record<string, unknown>> = [];
    try {
      const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no dev_ready line within 15 s')), 15_000);
        createInterface({ input: child.stdout }).on('line', (line) => {
          const entry = JSON.parse(line) as Record<string, unknown>;
          lines.push(entry);
          if (entry.event === 'dev_ready') {
            clearTimeout(timer);
            resolve(entry);
          }
        });
      });
      const site = String(ready.url).replace('localhost', '127.0.0.1');
      const page = await fetch(site);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /\/demo\.js/);
      const sdk = await fetch(`${site}sdk/odin-client.js`);
      assert.equal(sdk.status, 200);
      assert.match(sdk.headers.get('content-type') ?? '', /javascript/);
      assert.match(await sdk.text(), /export class OdinClient/);

      const statsUrl = String(ready.control).replace('localhost', '127.0.0.1');
      const stats = (await getJson(statsUrl)).body;
      assert.equal(stats.isPublishing, true);
      assert.equal((stats.configuration as { messagesPerSecond: number }).messagesPerSecond, 20);

      // Still one command: no token configured, so dev made one and printed it; /control needs it.
      assert.equal(lines.find((l) => l.event === 'control_api_started')?.host, '127.0.0.1');
      const token = String(ready.control_token);
      assert.ok(token.length >= 32, 'dev_ready prints the control token');
      const controlUrl = statsUrl.replace('/stats', '/control');
      const refused = await fetch(controlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"action":"stop"}' });
      assert.equal(refused.status, 401);
      const stopped = await fetch(controlUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{"action":"stop"}' });
      assert.equal(stopped.status, 200);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
  });
});
