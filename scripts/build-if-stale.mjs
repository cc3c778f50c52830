#!/usr/bin/env node
// `npm start` runs this first (prestart): it builds only when an input of the
// build changed since the last successful one (scripts/build-stamp.mjs), so a
// second `npm start` with nothing changed starts at once instead of spending
// ~20 s in tsc. Whatever the build does (the install check, both tsc
// projects, the bin's executable bit) runs whole when it runs.
// Usage: node scripts/build-if-stale.mjs (exit status: the build's, or 0)
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fingerprint, OUTPUTS, ROOT, STAMP } from './build-stamp.mjs';

/** Why a build is needed, or undefined when dist/ was built from exactly these inputs. */
function staleness() {
  if (!existsSync(STAMP)) return 'no finished build yet';
  const missing = OUTPUTS.find((output) => !existsSync(join(ROOT, output)));
  if (missing) return `${missing} is missing`;
  const stamped = readFileSync(STAMP, 'utf8').trim();
  const now = fingerprint();
  if (stamped !== now.hash) return 'sources changed since the last build';
  return undefined;
}

const reason = staleness();
if (reason === undefined) {
  process.stderr.write('build up to date: nothing changed since the last build (npm run build forces one)\n');
  process.exit(0);
}
process.stderr.write(`building (${reason})\n`);
const npm = process.env.npm_execpath;
// Under npm, its own CLI with this node; run by hand, the npm on PATH.
const build = npm ? spawnSync(process.execPath, [npm, 'run', 'build', '--silent'], { stdio: 'inherit' }) : spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
process.exit(build.status ?? 1);
