#!/usr/bin/env node
// tsc writes dist/src/cli/main.js without the executable bit, and npm only
// sets it on a bin that exists at install time: on a fresh clone (`npm ci`,
// then the build) `npx odin` would fail with "Permission denied". The build
// marks the bin executable itself.
import { chmodSync } from 'node:fs';

chmodSync(new URL('../dist/src/cli/main.js', import.meta.url), 0o755);
