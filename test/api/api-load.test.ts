// `odin load api-publish` as a process against a real gateway: single and
// batched runs report what the gateway really stored (its own counter agrees).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { CLI } from '../helpers/child-process.js';
import type { GatewayHarness } from '../helpers/gateway-harness.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { apiGateway, API_KEY } from './api-fixtures.js';

interface Summary {
  mode: string;
  messages: number;
  requests: number;
  failedRequests: number;
  duplicatePositions: number;
}

describe('odin load api-publish', () => {
  let gw: GatewayHarness;
  before(async () => {
    gw = await apiGateway();
  });
  after(async () => gw.stop());

  /** Asynchronous on purpose: the gateway runs in this process and must keep answering. */
  const run = async (args: string[]): Promise<{ code: number | null; out: string; err: string }> => {
    const child = spawn(process.execPath, [CLI, 'load', 'api-publish', '--url', gw.httpUrl, ...args], { env: { ...process.env, ODIN_API_KEY: API_KEY } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, out, err };
  };
  const load = async (args: string[]): Promise<Summary> => {
    const r = await run(['--duration', '1', '--json', '-', ...args]);
    assert.equal(r.code, 0, r.err + r.out);
    return JSON.parse(r.out) as Summary;
  };

  it('single and batch runs count what the gateway stored, with no duplicate position', async () => {
    const single = await load(['--concurrency', '2']);
    const batch = await load(['--batch', '20', '--concurrency', '2', '--idempotency']);
    assert.equal(single.mode, 'single');
    assert.equal(batch.mode, 'batch');
    for (const s of [single, batch]) {
      assert.ok(s.messages > 0);
      assert.equal(s.failedRequests, 0);
      assert.equal(s.duplicatePositions, 0);
    }
    assert.equal(single.messages, single.requests);
    assert.equal(batch.messages, batch.requests * 20);
    const stored = metricValue(await fetchMetrics(gw.httpUrl), 'ws_api_messages_published_total');
    assert.equal(stored, single.messages + batch.messages);
  });

  it('a wrong key makes the run fail with exit status 3', async () => {
    const r = await run(['--duration', '0.2', '--api-key', 'wrong-key-0123456789']);
    assert.equal(r.code, 3, r.err);
    assert.match(r.out, /UNAUTHORIZED/);
  });
});
