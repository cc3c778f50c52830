// The event names the source code logs: `logger.x({ event: 'name', ... })`
// calls anywhere in src/, with `broker_${status}` templates as `broker_*`.
// The logs dashboard and docs/operations.md are both checked against this.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../src/observability/dashboards/write-dashboards.js';

export function loggedEvents(): Set<string> {
  const events = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts')) {
        const text = readFileSync(path, 'utf8');
        for (const m of text.matchAll(/logger(?:\.[a-z]+|\[[^\]]+\])\(\s*\{\s*event: (?:'([a-z0-9_]+)'|`([a-z0-9_]+)\$\{)/g)) {
          events.add(m[1] ?? `${m[2]}*`);
        }
      }
    }
  };
  walk(join(repoRoot(), 'src'));
  return events;
}
