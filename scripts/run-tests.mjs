#!/usr/bin/env node
// Runs every compiled test file with Node's built-in test runner.
// Node 20's `--test` takes no globs, so the files are listed here.
// Checks the programs the tests need first (scripts/check-test-prereqs.mjs).
// Usage: node scripts/run-tests.mjs [substring-filter ...]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { missingMessage, missingPrerequisites } from './check-test-prereqs.mjs';

function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith('.test.js')) found.push(path);
  }
  return found;
}

// Every program the suite starts for real, checked before any test runs.
const missing = missingPrerequisites();
if (missing.length > 0) {
  process.stderr.write(missingMessage(missing));
  process.exit(1);
}

const filters = process.argv.slice(2);
const files = findTests('dist/test')
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files found under dist/test (did the build run?)');
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const result = spawnSync(
  process.execPath,
  ['--test', `--test-concurrency=${concurrency}`, '--test-timeout=240000', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
