#!/usr/bin/env node
// What the last successful build was made from: a fingerprint (path, mtime,
// size) of every input of `npm run build`, taken when the build begins and
// kept in dist/.build-stamp only once it has succeeded. A file changed while
// tsc runs, added, removed or touched changes the fingerprint, so the next
// `npm start` builds again (scripts/build-if-stale.mjs); an unchanged tree
// matches it, and the ~20 s build is skipped. tsc itself is incremental
// (dist/tsconfig.tsbuildinfo): a build recompiles what changed; `begin` drops
// that record when a compiled file is missing, so the build emits it again.
// Usage (the build runs both): node scripts/build-stamp.mjs begin | commit
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout: npm runs scripts from the package's root. */
export const ROOT = process.cwd();
export const STAMP = join(ROOT, 'dist', '.build-stamp');
const PENDING = `${STAMP}.pending`;

/** Folders whose every file the build reads (tsc: src, test, bench, the SDK's src; scripts: the steps around tsc). */
const INPUT_DIRS = ['src', 'test', 'bench', 'packages/client/src', 'scripts'];
/** Single files the build depends on: the compiler settings, the packages declared and the packages installed. */
const INPUT_FILES = ['package.json', 'package-lock.json', 'node_modules/.package-lock.json', 'packages/client/package.json', 'packages/client/tsconfig.json'];
/** What a build leaves, so a removed output is rebuilt even when the inputs did not change. */
export const OUTPUTS = ['dist/src/cli/main.js', 'packages/client/dist'];

function filesUnder(dir) {
  const found = [];
  if (!existsSync(dir)) return found;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...filesUnder(path));
    else found.push(path);
  }
  return found;
}

/** One hash over every input's path, modification time and size. */
export function fingerprint(root = ROOT) {
  const tsconfigs = readdirSync(root).filter((name) => /^tsconfig.*\.json$/.test(name)).map((name) => join(root, name));
  const files = [
    ...INPUT_DIRS.flatMap((dir) => filesUnder(join(root, dir))),
    ...tsconfigs,
    ...INPUT_FILES.map((file) => join(root, file)).filter((file) => existsSync(file)),
  ];
  const lines = files.map((file) => {
    const s = statSync(file);
    return `${relative(root, file)}\t${s.mtimeMs}\t${s.size}`;
  });
  return { hash: createHash('sha256').update(lines.sort().join('\n')).digest('hex'), files: files.length };
}

/** tsc's incremental record (tsconfig.json "incremental"): which sources it compiled, and to what. */
export const TS_BUILD_INFO = join(ROOT, 'dist', 'tsconfig.tsbuildinfo');

/**
 * The sources of the root project (src, test, bench: rootDir `.`, outDir
 * `dist`) whose compiled .js is missing. Incremental tsc re-emits only what
 * changed since its record, so an output deleted by hand would stay missing.
 */
export function missingOutputs(root = ROOT) {
  return ['src', 'test', 'bench']
    .flatMap((dir) => filesUnder(join(root, dir)))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => relative(root, file))
    .filter((source) => !existsSync(join(root, 'dist', source.replace(/\.ts$/, '.js'))));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const step = process.argv[2];
  if (step === 'begin') {
    // A build in progress or failed leaves no stamp: only a finished build vouches for dist/.
    rmSync(STAMP, { force: true });
    // Without its record tsc compiles and emits everything: the build stays whole when an output went missing.
    if (existsSync(TS_BUILD_INFO) && missingOutputs().length > 0) rmSync(TS_BUILD_INFO);
    mkdirSync(join(ROOT, 'dist'), { recursive: true });
    writeFileSync(PENDING, `${fingerprint().hash}\n`);
  } else if (step === 'commit') {
    renameSync(PENDING, STAMP);
  } else {
    process.stderr.write('usage: node scripts/build-stamp.mjs begin | commit\n');
    process.exit(2);
  }
}
