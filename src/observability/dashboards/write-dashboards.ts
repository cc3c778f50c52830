// Renders the generated deploy files: Grafana dashboards and Prometheus alert
// rules with their promtool tests. `npm run dashboards` writes them;
// `--check` only compares and exits 1 when a committed file is stale.
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderAlertTestsYaml, renderAlertsYaml } from './alert-rules.js';
import { logsDashboard } from './logs-dashboard.js';
import { metricsDashboard } from './metrics-dashboard.js';
import { renderDashboard } from './panel-builder.js';

/** Generated files by path relative to the repository root. */
export function generatedFiles(): Record<string, string> {
  return {
    'deploy/grafana/dashboards/odin-metrics.json': `${JSON.stringify(renderDashboard(metricsDashboard), null, 2)}\n`,
    'deploy/grafana/dashboards/odin-logs.json': `${JSON.stringify(renderDashboard(logsDashboard), null, 2)}\n`,
    'deploy/prometheus/alerts.yml': renderAlertsYaml(),
    'deploy/prometheus/alerts.test.yml': renderAlertTestsYaml(),
  };
}

/** The repository root: the nearest folder above this module with a package.json. */
export function repoRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
  return dir;
}

/** Paths whose committed content differs from the generated one. */
export function staleFiles(root = repoRoot()): string[] {
  return Object.entries(generatedFiles())
    .filter(([path, content]) => !existsSync(join(root, path)) || readFileSync(join(root, path), 'utf8') !== content)
    .map(([path]) => path);
}

function main(argv: string[]): void {
  const root = repoRoot();
  if (argv.includes('--check')) {
    const stale = staleFiles(root);
    if (stale.length > 0) {
      process.stderr.write(`stale generated files (run npm run dashboards): ${stale.join(', ')}\n`);
      process.exit(1);
    }
    process.stdout.write('generated deploy files are up to date\n');
    return;
  }
  for (const [path, content] of Object.entries(generatedFiles())) {
    const target = join(root, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
    process.stdout.write(`wrote ${path}\n`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
