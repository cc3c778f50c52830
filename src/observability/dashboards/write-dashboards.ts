// Renders the generated deploy files: Grafana dashboards and Prometheus alert
// rules with their promtool tests. `npm run dashboards` writes them;
// `--check` only compares and exits 1 when a committed file is stale;
// `--alerts-for 2s --alerts-out FILE` writes only the alert rules, every `for:`
// capped at 2s, to FILE (a lab or end-to-end test; never the shipped file).
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { durationSeconds, renderAlertTestsYaml, renderAlertsYaml } from './alert-rules.js';
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

/** The value after `flag` in argv, or undefined. */
function flagValue(argv: string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  if (i < 0) return undefined;
  const value = argv[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a value`);
  return value;
}

function main(argv: string[]): void {
  const root = repoRoot();
  const alertsFor = flagValue(argv, '--alerts-for');
  const alertsOut = flagValue(argv, '--alerts-out');
  if (alertsFor !== undefined || alertsOut !== undefined) {
    if (alertsFor === undefined || alertsOut === undefined) {
      process.stderr.write('--alerts-for and --alerts-out go together: npm run dashboards -- --alerts-for 2s --alerts-out /tmp/alerts.yml\n');
      process.exit(2);
    }
    if (resolve(alertsOut) === join(root, 'deploy/prometheus/alerts.yml')) {
      process.stderr.write('--alerts-out must not be the shipped deploy/prometheus/alerts.yml\n');
      process.exit(2);
    }
    try {
      durationSeconds(alertsFor);
    } catch (err) {
      process.stderr.write(`--alerts-for: ${(err as Error).message}\n`);
      process.exit(2);
    }
    mkdirSync(dirname(resolve(alertsOut)), { recursive: true });
    writeFileSync(alertsOut, renderAlertsYaml(undefined, { forAtMost: alertsFor }));
    process.stdout.write(`wrote ${alertsOut} (every for: at most ${alertsFor})\n`);
    return;
  }
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
