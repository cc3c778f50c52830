// The version of this checkout, from package.json: `odin --version` and the start line.
import { readFileSync } from 'node:fs';

/** package.json is three levels above dist/src/cli/version.js. */
export function odinVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
