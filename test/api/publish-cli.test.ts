// `odin publish` as a process against a real gateway: one message, NDJSON
// files in batches (whole messages, or data for one channel from stdin), an
// idempotency key, and refusals as exit statuses with the code.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../helpers/child-process.js';
import type { GatewayHarness } from '../helpers/gateway-harness.js';
import { TestClient } from '../helpers/test-client.js';
import { apiGateway, API_KEY } from './api-fixtures.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function odinPublish(args: string[], env: Record<string, string>, stdin?: string): Promise<Run> {
  const child = spawn(process.execPath, [CLI, 'publish', ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(stdin ?? '');
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const positionsOf = (out: string): Array<{ seq: number; epoch: string }> =>
  out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { seq: number; epoch: string });

describe('odin publish', () => {
  let gw: GatewayHarness;
  let client: TestClient;
  let env: Record<string, string>;
  const dir = mkdtempSync(join(tmpdir(), 'odin-publish-'));

  before(async () => {
    gw = await apiGateway({ apiMaxBatch: 500 });
    client = await TestClient.connect(gw.url);
    await client.subscribe(['cli.>']);
    env = { ODIN_API_URL: gw.httpUrl, ODIN_API_KEY: API_KEY };
  });
  after(async () => {
    client.ws.terminate();
    await gw.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes CHANNEL JSON and prints its position; the same --idempotency-key prints the same position', async () => {
    const first = await odinPublish(['cli.one', '{"type":"note","n":1}', '--idempotency-key', 'cli-k1'], env);
    assert.equal(first.code, 0, first.stderr);
    const [position] = positionsOf(first.stdout);
    await client.waitFor(() => client.dataOn('cli.one').length === 1, 10_000, 'the message');
    assert.equal(client.dataOn('cli.one')[0]!.seq, position!.seq);
    assert.equal(client.dataOn('cli.one')[0]!.event, 'note');
    const again = await odinPublish(['cli.one', '{"n":2}', '--idempotency-key', 'cli-k1'], env);
    assert.deepEqual(positionsOf(again.stdout), [position]);
  });

  it('publishes an NDJSON file of whole messages in batches, in order', async () => {
    const lines = Array.from({ length: 1201 }, (_, i) => JSON.stringify({ channel: `cli.file.c${i % 4}`, data: { i } }));
    const file = join(dir, 'm.ndjson');
    writeFileSync(file, lines.join('\n') + '\n\n');
    const run = await odinPublish(['--file', file, '--batch', '500'], env);
    assert.equal(run.code, 0, run.stderr);
    const positions = positionsOf(run.stdout);
    assert.equal(positions.length, 1201);
    for (let i = 1; i < positions.length; i++) assert.ok(positions[i]!.seq > positions[i - 1]!.seq);
    await client.waitFor(() => client.data.filter((m) => m.channel.startsWith('cli.file.')).length === 1201, 10_000, 'the file');
    assert.deepEqual(
      client.data.filter((m) => m.channel.startsWith('cli.file.')).map((m) => (m.data as { i: number }).i),
      lines.map((_, i) => i),
    );
  });

  it('with CHANNEL and --file -, every stdin line is the data', async () => {
    const run = await odinPublish(['cli.stdin', '--file', '-'], env, '{"a":1}\n"two"\n3\n');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(positionsOf(run.stdout).length, 3);
    await client.waitFor(() => client.dataOn('cli.stdin').length === 3, 10_000, 'stdin lines');
    assert.deepEqual(client.dataOn('cli.stdin').map((m) => m.data), [{ a: 1 }, 'two', 3]);
  });

  it('a refusal exits 1 with its code; a missing key or bad JSON is a usage error (exit 2)', async () => {
    const wrongKey = await odinPublish(['cli.x', '1'], { ...env, ODIN_API_KEY: 'wrong-key-0123456789' });
    assert.equal(wrongKey.code, 1);
    assert.match(wrongKey.stderr, /UNAUTHORIZED/);
    const badChannel = await odinPublish(['cli.*', '1'], env);
    assert.equal(badChannel.code, 1);
    assert.match(badChannel.stderr, /INVALID_CHANNEL/);
    const noKey = await odinPublish(['cli.x', '1'], { ODIN_API_URL: gw.httpUrl, ODIN_API_KEY: '' });
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /api-key/);
    const badJson = await odinPublish(['cli.x', '{nope'], env);
    assert.equal(badJson.code, 2);
    assert.match(badJson.stderr, /not JSON/);
  });
});
