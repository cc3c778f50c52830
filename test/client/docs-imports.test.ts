// Every import docs/client.md shows, tried as a user would: bare specifiers
// (`@odin-gateway/client...`, `ws`) run by Node in an app that installed the
// packed SDK (so a path the package does not export fails, as
// `odin-gateway/dist/src/client/odin-client.js` once did with
// ERR_PACKAGE_PATH_NOT_EXPORTED), named imports included; type-only names
// must be declared by the entry's types; `/sdk/` URLs must be served by a
// gateway as JavaScript.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, type GatewayHarness } from '../helpers/gateway-harness.js';
import { installClientPackage } from '../helpers/installed-client.js';

interface DocImport {
  specifier: string;
  /** Names imported as values (checked by Node's linker). */
  values: string[];
  /** Names imported as types only (checked against the entry's .d.ts). */
  types: string[];
  statement: string;
}

/** The import statements in the doc's js/ts/html code blocks. */
function docImports(markdown: string): DocImport[] {
  const blocks = [...markdown.matchAll(/```(?:js|ts|html|javascript|typescript)\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const out: DocImport[] = [];
  for (const block of blocks) {
    for (const m of block.matchAll(/import\s+(type\s+)?([\w*\s{},]*?)\s*from\s*'([^']+)'/g)) {
      const typeOnly = m[1] !== undefined;
      const clause = m[2]!;
      const named = /\{([^}]*)\}/.exec(clause)?.[1] ?? '';
      const values: string[] = [];
      const types: string[] = [];
      for (const part of named.split(',').map((p) => p.trim()).filter(Boolean)) {
        const isType = typeOnly || part.startsWith('type ');
        const name = part.replace(/^type\s+/, '').split(/\s+as\s+/)[0]!;
        (isType ? types : values).push(name);
      }
      out.push({ specifier: m[3]!, values, types, statement: m[0] });
    }
  }
  return out;
}

const doc = readFileSync(resolve('docs', 'client.md'), 'utf8');
const imports = docImports(doc);

describe('docs/client.md: every import path it shows works', () => {
  let app: string;
  let gw: GatewayHarness;

  before(async () => {
    app = await installClientPackage();
    // The doc tells Node 20 users to `npm install ws`: give the app the repo's copy.
    await symlink(resolve('node_modules', 'ws'), join(app, 'node_modules', 'ws'), 'dir');
    gw = await startTestGateway();
  });

  after(async () => {
    await gw?.stop();
    if (app) await rm(app, { recursive: true, force: true });
  });

  it('the doc shows the package, its entry points, ws and /sdk/ (the parser finds them)', () => {
    const specifiers = new Set(imports.map((i) => i.specifier));
    for (const s of ['@odin-gateway/client', '@odin-gateway/client/protocol', '@odin-gateway/client/codes', 'ws', '/sdk/odin-client.js']) {
      assert.ok(specifiers.has(s), `${s} not found in the doc's imports`);
    }
  });

  it('bare imports resolve and link in an app that installed the package (value names exist)', async () => {
    const bare = imports.filter((i) => !i.specifier.startsWith('/') && !/^https?:/.test(i.specifier));
    assert.ok(bare.length > 0);
    for (const [n, i] of bare.entries()) {
      const file = join(app, `doc-import-${n}.mjs`);
      const clause = i.values.length > 0 ? `{ ${i.values.join(', ')} }` : '* as m';
      await writeFile(file, `import ${clause} from '${i.specifier}';\nfor (const v of [${i.values.length > 0 ? i.values.join(', ') : 'm'}]) if (v === undefined) throw new Error('undefined import');\n`);
      try {
        execFileSync(process.execPath, [file], { cwd: app, stdio: 'pipe' });
      } catch (err) {
        assert.fail(`${i.statement}: ${String((err as { stderr?: Buffer }).stderr ?? err)}`);
      }
    }
  });

  it('type-only names are declared by the entry point they are imported from', () => {
    const pkg = JSON.parse(readFileSync(join(app, 'node_modules', '@odin-gateway', 'client', 'package.json'), 'utf8')) as { exports: Record<string, { types: string }> };
    for (const i of imports.filter((x) => x.types.length > 0)) {
      const subpath = '.' + i.specifier.slice('@odin-gateway/client'.length);
      const entry = pkg.exports[subpath];
      assert.ok(entry, `${i.specifier} is not exported`);
      const dts = readFileSync(join(app, 'node_modules', '@odin-gateway', 'client', entry.types), 'utf8');
      for (const name of i.types) assert.match(dts, new RegExp(`export (?:declare )?(?:interface|type|class|const|function)\\s+${name}\\b|export type \\{[^}]*\\b${name}\\b`), `${name} is not declared by ${i.specifier}`);
    }
  });

  it('/sdk/ URLs (same origin or full) are served by a gateway as JavaScript', async () => {
    const urls = imports.filter((i) => i.specifier.startsWith('/') || /^https?:/.test(i.specifier));
    assert.ok(urls.length > 0);
    for (const i of urls) {
      const path = new URL(i.specifier, 'http://placeholder').pathname;
      const res = await fetch(`${gw.httpUrl}${path}`);
      assert.equal(res.status, 200, `${i.specifier}: ${res.status}`);
      assert.match(res.headers.get('content-type') ?? '', /javascript/);
      const body = await res.text();
      for (const name of i.values) assert.match(body, new RegExp(`export (?:class|const|function) ${name}\\b|export \\{[^}]*\\b${name}\\b`), `${name} not exported by ${path}`);
    }
  });

  it('the check fails for the path the doc used to show (the old root-package deep import)', async () => {
    const old = docImports("```js\nimport { OdinClient } from 'odin-gateway/dist/src/client/odin-client.js';\n```\n")[0]!;
    const file = join(app, 'old-doc-import.mjs');
    await writeFile(file, `import { ${old.values.join(', ')} } from '${old.specifier}';\n`);
    assert.throws(() => execFileSync(process.execPath, [file], { cwd: app, stdio: 'pipe' }), /ERR_MODULE_NOT_FOUND|ERR_PACKAGE_PATH_NOT_EXPORTED/);
  });
});
