// Serves the demo page (public/) and the browser build of the client SDK
// (the @odin-gateway/client package's dist/client/, with the protocol modules it
// imports from its dist/protocol/) so a browser needs no bundler step.
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: dist/src/gateway/ -> three levels up. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.map': 'application/json',
};

/**
 * The demo page may not be framed (clickjacking) and runs only its own
 * scripts and styles. connect-src allows any ws:/wss: host because the page
 * takes another gateway's URL in `?ws=`.
 */
export const PAGE_SECURITY_HEADERS = {
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; " +
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
} as const;

/** The installed SDK package's build: dist/client/ (the entry's folder) and dist/protocol/ beside it. */
const SDK_DIR = dirname(fileURLToPath(import.meta.resolve('@odin-gateway/client')));

/** URL prefix -> folder, and whether it is SDK code (served with CORS headers). The first match wins. */
const MOUNTS: Array<[string, string, boolean]> = [
  ['/sdk/', SDK_DIR, true],
  // The SDK imports the protocol's constants and channel rules from here (`../protocol/`), so they exist once.
  ['/protocol/', join(SDK_DIR, '..', 'protocol'), true],
  ['/', join(PACKAGE_ROOT, 'public'), false],
];

/** Serves a static file for `pathname`; false when there is none. `sdkHeaders` go on SDK files only (CORS). */
export async function serveStatic(pathname: string, res: ServerResponse, sdkHeaders: Record<string, string> = {}): Promise<boolean> {
  const path = pathname === '/' ? '/index.html' : pathname;
  for (const [prefix, folder, isSdk] of MOUNTS) {
    if (!path.startsWith(prefix)) continue;
    const relative = normalize(path.slice(prefix.length));
    if (relative.startsWith('..') || relative.includes('\0')) return false;
    const file = join(folder, relative);
    try {
      const body = await readFile(file);
      const ext = extname(file);
      res.writeHead(200, {
        'content-type': CONTENT_TYPES[ext] ?? 'application/octet-stream',
        'cache-control': 'no-cache',
        ...(ext === '.html' ? PAGE_SECURITY_HEADERS : {}),
        ...(isSdk ? sdkHeaders : {}),
      });
      res.end(body);
      return true;
    } catch {
      // try the next mount
    }
  }
  return false;
}
