// docs/migrating.md's "Start in reference mode", run as written: each shell
// block of the walk-through starts something that publishes, its `odin load
// --protocol reference` run exits 0 having received messages without a gap,
// and a reference-shaped client (no subscribe, `{seq,ts,type,priority,data}`
// one per frame, seq from 1) then gets prices from the gateway it started.
// Fails when the commands publish nothing (the load run exits 3 and the
// client waits in vain). The doc's port variables carry free ports.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import WebSocket from 'ws';
import { REPO_ROOT } from '../helpers/child-process.js';
import { freePorts } from '../helpers/nats-server.js';

const doc = readFileSync(join(REPO_ROOT, 'docs', 'migrating.md'), 'utf8');
const INSTALL = 'npm ci && npm run build';

/** The bash blocks of the section "Start in reference mode". */
function walkThroughBlocks(): string[] {
  const start = doc.indexOf('## Start in reference mode');
  const end = doc.indexOf('\n## ', start + 1);
  assert.ok(start >= 0 && end > start, 'migrating.md has the section');
  return [...doc.slice(start, end).matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
}

interface Ports {
  GATEWAY_PORT: string;
  PUBLISHER_PORT: string;
  NATS_PORT: string;
  NATS_MONITOR_PORT: string;
}

/** The reference's client: connects to ?protocol=reference, never subscribes, reads `count` frames. */
async function referenceFrames(port: string, count: number): Promise<Array<Record<string, unknown>>> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?protocol=reference`);
  const frames: Array<Record<string, unknown>> = [];
  try {
    await new Promise<void>((resolve, reject) => {
      // A bound for a stuck gateway, not a speed check: the simulator publishes 20 prices a second.
      const timer = setTimeout(() => reject(new Error(`reference client got ${frames.length} of ${count} frames in 60 s`)), 60_000);
      ws.on('message', (data: Buffer) => {
        frames.push(JSON.parse(data.toString('utf8')) as Record<string, unknown>);
        if (frames.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      });
      ws.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  } finally {
    ws.terminate();
  }
  return frames;
}

/** Runs one block in bash as written (after `set -e`), in its own process group; resolves once `odin load` ended. */
async function runBlock(block: string, ports: Ports): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'odin-migrating-'));
  const bash = spawn('bash', ['-c', `set -e\n${block}`], {
    cwd: REPO_ROOT,
    // The doc's variables carry the ports; CONNECTIONS and DURATION (the doc names them) keep the load run short;
    // TMPDIR gives nats-server's JetStream store a directory of its own. Nothing else of the environment is set for it.
    env: { ...process.env, ...ports, CONNECTIONS: '20', DURATION: '5', TMPDIR: tmp, CHANNEL_FAMILIES: undefined, LOAD_URL: undefined, PORT: undefined, NATS_URL: undefined },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  bash.stdout.on('data', (c: Buffer) => (out += c.toString()));
  bash.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => bash.on('exit', resolve));
  try {
    const context = `exit ${code}\nstdout:\n${out.slice(-3000)}\nstderr:\n${err.slice(-3000)}`;
    assert.equal(code, 0, `the block ran to its end and odin load exited 0: ${context}`);
    const received = /messages +(\d+) received/.exec(out);
    assert.ok(received && Number(received[1]) > 0, `odin load received messages: ${context}`);
    assert.match(out, /gaps +0 \(ok\), duplicates 0/, context);
    // The gateway the block left running serves a reference client that never subscribes.
    const frames = await referenceFrames(ports.GATEWAY_PORT, 5);
    frames.forEach((f, i) => {
      assert.equal(f.seq, i + 1, 'seq per connection from 1, contiguous');
      assert.deepEqual(Object.keys(f).sort(), ['data', 'priority', 'seq', 'ts', 'type'], JSON.stringify(f));
    });
    assert.ok(frames.some((f) => f.type === 'price:update' && f.priority === 'high'), JSON.stringify(frames));
  } finally {
    try {
      process.kill(-bash.pid!, 'SIGTERM');
    } catch {
      // the group is gone already
    }
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function freshPorts(): Promise<Ports> {
  const [gateway, publisher, nats, monitor] = (await freePorts(4)).map(String);
  return { GATEWAY_PORT: gateway!, PUBLISHER_PORT: publisher!, NATS_PORT: nats!, NATS_MONITOR_PORT: monitor! };
}

describe('docs/migrating.md, run as written', () => {
  const blocks = walkThroughBlocks();

  it('the walk-through is the install line and two blocks that each start a publisher and a load run; every port is a variable with the reference default', () => {
    assert.equal(blocks[0], INSTALL, 'the first block installs and builds (done by this checkout already)');
    const runs = blocks.slice(1);
    assert.equal(runs.length, 2, runs.join('\n---\n'));
    assert.match(runs[0]!, /npx odin dev /, 'one process: the simulator publishes');
    assert.match(runs[1]!, /npx odin publisher [^\n]*--autostart/, 'the publisher publishes at once');
    for (const run of runs) {
      assert.match(run, /npm run load:light -- --protocol reference/);
      for (const fixed of ['3004', '3003', '4222', '8222']) {
        for (const line of run.split('\n').filter((l) => l.includes(fixed) && !l.trimStart().startsWith('#'))) {
          assert.match(line, new RegExp(`\\$\\{[A-Z_]+:-${fixed}\\}`), `port ${fixed} only as a variable's default: ${line}`);
        }
      }
    }
  });

  it('one process (npx odin dev): odin load exits 0 with messages and 0 gaps; a reference client gets prices', { timeout: 180_000 }, async () => {
    await runBlock(blocks[1]!, await freshPorts());
  });

  it('as the reference runs it (nats-server -js, npx odin publisher --autostart, npx odin gateway --nats): the same', { timeout: 240_000 }, async () => {
    await runBlock(blocks[2]!, await freshPorts());
  });

  it("the Taskfile row names only tasks that exist (no 'dev:*')", () => {
    const row = doc.split('\n').find((l) => l.startsWith('| task names '));
    assert.ok(row, 'migrating.md has the task names row');
    const named = [...row.split('|')[1]!.matchAll(/`([\w:*.-]+)`/g)].map((m) => m[1]!);
    const tasks = Object.keys((parse(readFileSync(join(REPO_ROOT, 'Taskfile.yml'), 'utf8')) as { tasks: Record<string, unknown> }).tasks);
    assert.ok(named.length >= 5, row);
    for (const name of named) {
      const exists = name.endsWith(':*') ? tasks.some((t) => t.startsWith(name.slice(0, -1))) : tasks.includes(name);
      assert.ok(exists, `Taskfile.yml has ${name}`);
    }
  });
});
