// The SDK as a user gets it: `npm pack` of packages/client (built by the
// root `npm run build`), installed from the tarball into an empty app in a
// temporary folder. The package has no dependencies, so this works offline.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const CLIENT_PACKAGE_DIR = resolve('packages', 'client');

/** Packs and installs @odin-gateway/client into a new app folder; returns that folder. */
export async function installClientPackage(): Promise<string> {
  const app = await mkdtemp(join(tmpdir(), 'odin-client-app-'));
  const npm = (args: string[], cwd: string): string =>
    execFileSync('npm', [...args, '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd, encoding: 'utf8' });
  // --ignore-scripts: dist/ is the root build's; prepack would only rebuild it.
  npm(['pack', CLIENT_PACKAGE_DIR, '--pack-destination', app], app);
  const tarball = (await readdir(app)).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error('npm pack wrote no tarball');
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'odin-client-app', private: true, type: 'module' }));
  npm(['install', '--offline', `./${tarball}`], app);
  return app;
}
