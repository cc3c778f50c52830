// `python3 clients/python/examples/tail.py URL CHANNEL...` while `odin dev`
// (what `npm start` runs) serves: it prints live messages, one JSON line each.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { startOdin } from '../helpers/child-process.js';
import { PYTHON } from '../helpers/python.js';

test('examples/tail.py prints live messages of token.BTC.price as JSON lines while odin dev runs', async () => {
  const odin = startOdin(['dev', '--host', '127.0.0.1', '--port', '0', '--rate', '50']);
  try {
    const started = await odin.waitForEvent('gateway_started', 30_000);
    const tail = spawn(PYTHON, ['clients/python/examples/tail.py', `ws://127.0.0.1:${started.port as number}/ws`, 'token.BTC.price'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    let stderr = '';
    tail.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const lines: Array<Record<string, unknown>> = [];
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      tail.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          lines.push(JSON.parse(buffered.slice(0, nl)) as Record<string, unknown>);
          buffered = buffered.slice(nl + 1);
        }
        if (lines.length >= 5) resolve();
      });
      tail.on('exit', (code) => reject(new Error(`tail.py exited ${code} after ${lines.length} lines: ${stderr}`)));
    });
    tail.kill('SIGINT');
    for (const line of lines) {
      assert.equal(line.channel, 'token.BTC.price');
      assert.equal((line.data as { tokenId: string }).tokenId, 'BTC');
      assert.equal(typeof line.seq, 'number');
      assert.ok(['first', 'next'].includes(line.continuity as string), `continuity ${String(line.continuity)}`);
    }
    // Live: the seqs increase, each linked to the one before.
    for (let i = 1; i < lines.length; i++) assert.equal(lines[i]!.prev, lines[i - 1]!.seq);
  } finally {
    odin.kill('SIGINT');
    await odin.exited;
  }
});
