// Runs the real `odin bench` CLI for the bench tests and parses its JSON.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { CLI } from '../helpers/child-process.js';
import type { BenchOutput } from '../../src/bench/bench-suite.js';

/** Runs `odin bench` with `args` (through bash when `shell` prefixes it) and returns its JSON and stderr. */
export async function bench(args: string[], shell?: string): Promise<{ result: BenchOutput; err: string }> {
  const argv = [CLI, 'bench', ...args, '--json', '-'];
  const child = shell
    ? spawn('bash', ['-c', `${shell}; exec "$@"`, 'bench', process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, err);
  return { result: JSON.parse(out) as BenchOutput, err };
}


/** The summary row of `system` in `scenario`, which must have run, be ok and have lost nothing. */
export function okRow(result: BenchOutput, scenario: string, system: string): BenchOutput['rows'][number] {
  const r = result.rows.find((x) => x.scenario === scenario && x.system === system);
  assert.ok(r, `${system} ran ${scenario}`);
  assert.equal(r.status, 'ok', `${system} ${scenario}: ${r.note ?? ''}`);
  assert.equal(r.gaps, 0, `${system} ${scenario}: lost messages`);
  return r;
}
