#!/usr/bin/env node
// Before a build or a type check: every package the lockfile pins is installed
// at its pinned version. After a pull that added or moved a dependency, an old
// node_modules otherwise shows up as a page of TS2307 "Cannot find module"
// errors; this says the one thing to do instead.
// Usage: node scripts/check-install.mjs (exit 1 when node_modules is out of date)
import { existsSync, readFileSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8'));
const stale = [];
for (const [path, entry] of Object.entries(lock.packages ?? {})) {
  // Top-level packages only (nested copies follow their parents), and not the optional ones another platform needs.
  if (!path.startsWith('node_modules/') || path.indexOf('/node_modules/', 1) > 0 || entry.optional || entry.link) continue;
  const manifest = new URL(`${path}/package.json`, root);
  const installed = existsSync(manifest) ? JSON.parse(readFileSync(manifest, 'utf8')).version : undefined;
  // Some packages write their version with a leading v (@grafana/grafana-foundation-sdk: "v0.0.21").
  if (installed?.replace(/^v/, '') !== entry.version) stale.push(`${path.slice('node_modules/'.length)} ${installed ?? '(missing)'} -> ${entry.version}`);
}
if (stale.length > 0) {
  process.stderr.write(`node_modules does not match package-lock.json (${stale.length} package${stale.length > 1 ? 's' : ''}: ${stale.slice(0, 5).join(', ')}${stale.length > 5 ? ', ...' : ''}): run \`npm ci\` first\n`);
  process.exit(1);
}
