// `npm start` builds only when something changed (scripts/build-if-stale.mjs,
// the prestart script; scripts/build-stamp.mjs, run by the build): run as the
// README writes it in a small project whose build records each run, with the
// real package.json's prestart and the real stamp scripts. After a build,
// `npm start` says the build is up to date and runs none; a touched source, a
// removed output or a failed build makes the next start build.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/child-process.js';

interface PackageJson { scripts: Record<string, string> }
const real = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as PackageJson;

/** The stand-in for tsc: writes the outputs the stale check looks for and records the run (or fails while fail.flag exists). */
const FAKE_BUILD = `import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
appendFileSync('builds.log', 'built\\n');
if (existsSync('fail.flag')) { console.error('error TS1005: fixture failure'); process.exit(1); }
mkdirSync('dist/src/cli', { recursive: true });
mkdirSync('packages/client/dist', { recursive: true });
writeFileSync('dist/src/cli/main.js', "console.log('odin started')\\n");
`;

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'odin-build-stale-'));
  mkdirSync(join(dir, 'scripts'));
  for (const script of ['build-stamp.mjs', 'build-if-stale.mjs']) copyFileSync(join(REPO_ROOT, 'scripts', script), join(dir, 'scripts', script));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'app.ts'), 'export const x = 1;\n');
  writeFileSync(join(dir, 'tsconfig.json'), '{}\n');
  writeFileSync(join(dir, 'fake-build.mjs'), FAKE_BUILD);
  const pkg = {
    name: 'odin-build-stale-fixture',
    private: true,
    type: 'module',
    scripts: {
      // The real build's shape: stamp begun before the compilers, committed after the last step.
      build: 'node scripts/build-stamp.mjs begin && node fake-build.mjs && node scripts/build-stamp.mjs commit',
      prestart: real.scripts.prestart,
      start: 'node dist/src/cli/main.js',
    },
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function npmStart(): { status: number | null; stdout: string; stderr: string; builds: number } {
  const r = spawnSync('npm', ['start'], { cwd: dir, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  const log = join(dir, 'builds.log');
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, builds: existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0 };
}

/** Moves a file's modification time forward, as an editor's save does. */
function touch(path: string): void {
  const later = new Date(Date.now() + 5_000);
  utimesSync(path, later, later);
}

describe('npm start skips an unchanged build', () => {
  it('the real package.json: prestart is the stale check, and the build begins and commits the stamp around every step', () => {
    assert.equal(real.scripts.prestart, 'node scripts/build-if-stale.mjs');
    const steps = real.scripts.build!.split(' && ');
    assert.equal(steps[0], 'node scripts/check-install.mjs', 'the install check runs before the stamp is begun');
    assert.equal(steps[1], 'node scripts/build-stamp.mjs begin');
    assert.equal(steps.at(-1), 'node scripts/build-stamp.mjs commit');
    assert.ok(steps.includes('node scripts/bin-executable.mjs'));
    assert.ok(existsSync(join(REPO_ROOT, 'dist', '.build-stamp')), 'the build that made these tests wrote its stamp');
  });

  it('first start builds, the second builds nothing and says so, a touched source builds again', () => {
    const first = npmStart();
    assert.equal(first.status, 0, first.stderr);
    assert.equal(first.builds, 1);
    assert.match(first.stderr, /building \(no finished build yet\)/);
    assert.match(first.stdout, /odin started/);

    const second = npmStart();
    assert.equal(second.status, 0, second.stderr);
    assert.equal(second.builds, 1, 'no build ran');
    assert.match(second.stderr, /build up to date/);
    assert.match(second.stdout, /odin started/);

    touch(join(dir, 'src', 'app.ts'));
    const third = npmStart();
    assert.equal(third.builds, 2, 'a touched source builds');
    assert.match(third.stderr, /building \(sources changed since the last build\)/);
    assert.equal(npmStart().builds, 2, 'and then is up to date again');
  });

  it('a new source file, a changed tsconfig or a removed output builds again', () => {
    const before = npmStart().builds;
    writeFileSync(join(dir, 'src', 'added.ts'), 'export const y = 2;\n');
    assert.equal(npmStart().builds, before + 1);
    touch(join(dir, 'tsconfig.json'));
    assert.equal(npmStart().builds, before + 2);
    rmSync(join(dir, 'dist', 'src', 'cli', 'main.js'));
    const rebuilt = npmStart();
    assert.equal(rebuilt.builds, before + 3);
    assert.match(rebuilt.stderr, /dist\/src\/cli\/main\.js is missing/);
  });

  it('tsc is incremental, and a build with a compiled file missing drops its record so tsc emits everything again', () => {
    const tsconfig = readFileSync(join(REPO_ROOT, 'tsconfig.json'), 'utf8');
    assert.match(tsconfig, /"incremental": true/);
    assert.match(real.scripts.typecheck!, /--noEmit --incremental false/, 'a type check leaves the build record alone');
    const info = join(dir, 'dist', 'tsconfig.tsbuildinfo');
    const compiled = join(dir, 'dist', 'src', 'app.js');
    const begin = (): void => {
      const r = spawnSync(process.execPath, ['scripts/build-stamp.mjs', 'begin'], { cwd: dir, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    };
    mkdirSync(join(dir, 'dist', 'src'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'src', 'added.js'), '');
    writeFileSync(compiled, '');
    writeFileSync(info, '{}');
    begin();
    assert.ok(existsSync(info), 'every source has its .js: the record stays');
    rmSync(compiled);
    begin();
    assert.ok(!existsSync(info), 'dist/src/app.js missing: the record is dropped');
  });

  it('a failed build leaves no stamp: npm start fails, and the next start builds again', () => {
    const before = npmStart().builds;
    touch(join(dir, 'src', 'app.ts'));
    writeFileSync(join(dir, 'fail.flag'), '');
    const failed = npmStart();
    assert.notEqual(failed.status, 0);
    assert.doesNotMatch(failed.stdout, /odin started/);
    assert.ok(!existsSync(join(dir, 'dist', '.build-stamp')));
    rmSync(join(dir, 'fail.flag'));
    const retried = npmStart();
    assert.equal(retried.status, 0);
    assert.equal(retried.builds, before + 2, 'the failed build, then a new one');
  });
});
