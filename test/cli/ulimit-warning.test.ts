// The open-file warning only when the limit really caps the capacity
// (docs/operations.md "Open files"): at ulimit -n 20,000 with the default
// capacity no warning; at 200 (121 connections) a warning naming the limit to
// set; an explicit --max-connections the open files cannot honour is warned
// about, one they can is not. The start line says what decided the limit.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startOdin, type OdinProcess } from '../helpers/child-process.js';

const WARNING = 'connection_limit_from_open_files';
const hardLimit = Number(spawnSync('bash', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim());
const canRaiseTo20k = spawnSync('bash', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim() === 'unlimited' || hardLimit >= 20_000;

const processes: OdinProcess[] = [];
after(async () => {
  for (const p of processes) p.kill('SIGKILL');
  await Promise.all(processes.map((p) => p.exited));
});

/** `bash -c 'ulimit -n N; exec node ... gateway'` until its start line (logged once the limit is set), then stopped. */
async function gatewayUnder(openFiles: number, ...args: string[]): Promise<{ start: Record<string, unknown>; warning: Record<string, unknown> | undefined }> {
  const gateway = startOdin(['gateway', '--host', '127.0.0.1', '--port', '0', '--log-format', 'json', ...args], {}, { openFiles });
  processes.push(gateway);
  const start = await gateway.waitForEvent('odin_started', 60_000);
  const warning = gateway.lines.find((l) => l.event === WARNING);
  gateway.kill('SIGTERM');
  assert.equal(await gateway.exited, 0);
  return { start, warning };
}

describe('open-file limit warning', () => {
  it('ulimit -n 20000 with the default capacity: no warning; the start line says the open files decide', { skip: canRaiseTo20k ? false : `hard open-file limit ${hardLimit} < 20000` }, async () => {
    const { start, warning } = await gatewayUnder(20_000);
    assert.equal(warning, undefined, 'no ulimit warning at 20,000');
    assert.equal(start.max_connections, 15_961);
    assert.equal(start.limited_by, 'open files');
    assert.match(String(start.msg), /up to 15,961 connections \(open files\)/);
  });

  it('ulimit -n 200 with the default capacity: a warning naming the open-file limit to set', async () => {
    const { start, warning } = await gatewayUnder(200);
    assert.ok(warning, 'warned');
    assert.equal(warning.open_files, 200);
    assert.equal(warning.max_connections, 121);
    assert.equal(warning.max_connections, start.max_connections);
    assert.match(String(warning.msg), new RegExp(`raise ulimit -n to ${String(warning.open_files_needed)}`));
    assert.ok(Number(warning.open_files_needed) > 200);
  });

  it('an explicit --max-connections above what the open files allow is warned about; one within them is not', { skip: canRaiseTo20k ? false : `hard open-file limit ${hardLimit} < 20000` }, async () => {
    const over = await gatewayUnder(20_000, '--max-connections', '30000');
    assert.ok(over.warning, 'warned');
    assert.match(String(over.warning.msg), /^--max-connections 30000 is more than the open-file limit \(20000\) allows: 15961 connections \(raise ulimit -n to 37548\)$/);
    const within = await gatewayUnder(20_000, '--max-connections', '10000');
    assert.equal(within.warning, undefined);
    assert.equal(within.start.limited_by, 'max-connections');
    assert.equal(within.start.max_connections, 10_000);
  });
});
