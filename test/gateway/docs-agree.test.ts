// The documents say what the code does: every client-visible code is in
// docs/protocol.md and is really sent (or marked reserved), every gateway
// setting is in the README's table, every environment variable means one thing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { CloseCode, closeFault, ErrorCode, errorFault, isTokenReason, TokenReason, tokenReasonFault } from '@odin-gateway/client/codes';
import { devOptionTable } from '../../src/cli/commands/dev.js';
import { benchOptionTable } from '../../src/config/bench-options.js';
import { gatewayOptionTable } from '../../src/config/gateway-options.js';
import { loadOptionTable } from '../../src/config/load-options.js';
import type { OptionTable } from '../../src/config/option-parser.js';
import { publisherOptionTable } from '../../src/config/publisher-options.js';

const root = new URL('../../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');

test('docs/protocol.md documents every error code and close code', () => {
  const doc = read('docs/protocol.md');
  for (const code of Object.values(ErrorCode)) assert.match(doc, new RegExp('`' + code + '`'), code);
  for (const [name, value] of Object.entries(CloseCode)) {
    assert.match(doc, new RegExp('`' + value + '`\\s*\\|\\s*`' + name + '`'), `${value} ${name}`);
  }
});

test('docs/protocol.md states the fault of every code as codes.ts classifies it (only client faults spend the abuse budget)', () => {
  const doc = read('docs/protocol.md');
  for (const [code, fault] of Object.entries(errorFault)) {
    assert.match(doc, new RegExp('^\\| `' + code + '` \\|.*\\| ' + fault + ' \\|$', 'm'), `${code}: ${fault}`);
  }
  for (const [name, fault] of Object.entries(closeFault)) {
    const value = CloseCode[name as keyof typeof CloseCode];
    assert.match(doc, new RegExp('^\\| `' + value + '` \\| `' + name + '` \\|.*\\| ' + fault + ' \\|$', 'm'), `${value} ${name}: ${fault}`);
  }
});

test("README's configuration table lists every gateway option with its flag and variable", () => {
  const readme = read('README.md');
  for (const spec of Object.values(gatewayOptionTable)) {
    assert.ok(readme.includes(`--${spec.flag}`), `--${spec.flag} missing from README`);
    assert.ok(readme.includes(spec.env), `${spec.env} missing from README`);
  }
});

// ---- Meaning, not only names: each documented code is produced by the server (or marked reserved).

const SRC = new URL('src/', root);

/** Server-side sources: every .ts under src/ (the code list and the client SDK live in packages/client/). */
function serverSources(): string {
  const out: string[] = [];
  const walk = (dir: URL): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const url = new URL(e.name + (e.isDirectory() ? '/' : ''), dir);
      if (e.isDirectory()) walk(url);
      else if (e.name.endsWith('.ts')) out.push(readFileSync(url, 'utf8'));
    }
  };
  walk(SRC);
  return out.join('\n');
}

interface DocumentedCode {
  name: string;
  value: string;
  reserved: boolean;
}

/** Rows of the doc's close-code table (`| \`1001\` | \`NAME\` | meaning |`) and error-code table (`| \`NAME\` | meaning |`). */
export function documentedCodes(doc: string): { close: DocumentedCode[]; error: DocumentedCode[] } {
  const close = [...doc.matchAll(/^\| `(\d{4})` \| `([A-Z_]+)` \| ([^|]*)\|/gm)].map((m) => ({ value: m[1]!, name: m[2]!, reserved: /\breserved\b/i.test(m[3]!) }));
  const rows = [...doc.matchAll(/^\| `([A-Z][A-Z_]+)` \| ([^|]*)\|/gm)].map((m) => ({ value: m[1]!, name: m[1]!, reserved: /\breserved\b/i.test(m[2]!) }));
  // A code may appear in more than one table (its main row comes first).
  // Token reasons have their own table (checked below), not error codes.
  const error = rows.filter((r, i) => rows.findIndex((o) => o.name === r.name) === i && !isTokenReason(r.name));
  return { close, error };
}

/** Codes whose documentation and production disagree: documented as sent but never produced, or reserved but produced. */
export function codeDrift(doc: string, sources: string): string[] {
  const { close, error } = documentedCodes(doc);
  const drift: string[] = [];
  for (const [family, rows] of [['CloseCode', close], ['ErrorCode', error]] as const) {
    for (const row of rows) {
      const produced = new RegExp(`\\b${family}\\.${row.name}\\b`).test(sources);
      if (!row.reserved && !produced) drift.push(`${row.value} ${row.name} is documented but nothing in src sends it (send it, or mark it reserved)`);
      if (row.reserved && produced) drift.push(`${row.value} ${row.name} is marked reserved but src sends it`);
    }
  }
  return drift;
}

test('every close code and error code docs/protocol.md documents is sent by the server, or marked reserved and never sent', () => {
  const doc = read('docs/protocol.md');
  const { close, error } = documentedCodes(doc);
  assert.deepEqual(close.map((c) => c.name).sort(), Object.keys(CloseCode).sort(), 'the close-code table is the code list');
  assert.deepEqual(error.map((c) => c.name).sort(), Object.values(ErrorCode).sort(), 'the error-code table is the code list');
  for (const c of close) assert.equal(String(CloseCode[c.name as keyof typeof CloseCode]), c.value, `${c.name} is ${CloseCode[c.name as keyof typeof CloseCode]} in codes.ts`);
  assert.deepEqual(codeDrift(doc, serverSources()), []);
});

test('every token reason is documented in protocol.md (with its fault) and identity.md, and produced by the server', () => {
  const doc = read('docs/protocol.md');
  const identity = read('docs/identity.md');
  const sources = serverSources();
  for (const [reason, fault] of Object.entries(tokenReasonFault)) {
    assert.match(doc, new RegExp('^\\| `' + reason + '` \\|.*\\| ' + fault + ' \\|$', 'm'), `protocol.md: ${reason} (${fault})`);
    assert.ok(identity.includes('`' + reason + '`'), `identity.md: ${reason}`);
    assert.match(sources, new RegExp(`\\bTokenReason\\.${reason}\\b`), `nothing in src produces ${reason}`);
  }
  assert.deepEqual(Object.keys(tokenReasonFault).sort(), Object.values(TokenReason).sort());
});

test('the code check catches drift: 1013 documented for capacity while capacity answers HTTP 503', () => {
  const drifted = '| `1013` | `TRY_AGAIN_LATER` | the instance is at capacity | back off |\n| `4000` | `SLOW_CLIENT` | slow | resume |\n| `FORBIDDEN` | reserved | |\n';
  const sources = 'conn.close(CloseCode.SLOW_CLIENT); reply(ErrorCode.FORBIDDEN);';
  assert.deepEqual(codeDrift(drifted, sources), [
    '1013 TRY_AGAIN_LATER is documented but nothing in src sends it (send it, or mark it reserved)',
    'FORBIDDEN FORBIDDEN is marked reserved but src sends it',
  ]);
});

test('the HTTP statuses protocol.md gives for refused upgrades are the ones upgrade admission answers', () => {
  const doc = read('docs/protocol.md');
  const admission = read('src/gateway/upgrade-admission.ts');
  const refusals = [...admission.matchAll(/refused\((\d{3}), '([a-z_]+)'\)/g)].map((m) => `${m[1]} ${m[2]}`);
  assert.ok(refusals.includes('503 capacity'), `capacity is refused with 503 (${refusals.join(', ')})`);
  assert.match(doc, /At capacity or during shutdown the upgrade is refused with HTTP `503`/);
  for (const status of new Set(refusals.map((r) => r.split(' ')[0]!))) assert.match(doc, new RegExp(`HTTP \`${status}\``), `HTTP ${status} is not in protocol.md`);
});

// ---- Each environment variable means one thing, whatever the command.

/** Per-process settings: the same name means "this process's own" in every command that has it. */
const PER_PROCESS = new Set(['PORT', 'HOST', 'INSTANCE_ID']);

/** Variables that two commands read with different meanings (different option behind the same name). */
export function envClashes(tables: Record<string, OptionTable>): string[] {
  const seen = new Map<string, { command: string; spec: OptionTable[string] }>();
  const clashes: string[] = [];
  for (const [command, table] of Object.entries(tables)) {
    for (const spec of Object.values(table)) {
      if (spec.env === undefined) continue;
      const first = seen.get(spec.env);
      if (!first) {
        seen.set(spec.env, { command, spec });
        continue;
      }
      const same = first.spec === spec || (PER_PROCESS.has(spec.env) && first.spec.flag === spec.flag && first.spec.kind === spec.kind);
      if (!same) clashes.push(`${spec.env}: --${first.spec.flag} of ${first.command} and --${spec.flag} of ${command}`);
    }
  }
  return clashes;
}

test('every environment variable means one thing across commands (PORT, HOST, INSTANCE_ID: each process its own)', () => {
  const tables = { gateway: gatewayOptionTable, publisher: publisherOptionTable, dev: devOptionTable, load: loadOptionTable, bench: benchOptionTable };
  assert.deepEqual(envClashes(tables), []);
  const readme = read('README.md');
  assert.match(readme, /PORT`, `HOST` and `INSTANCE_ID`/, 'the README states the per-process exception');
});

test('the variable check catches a name with two meanings (MAX_CONNECTIONS for the gateway limit and the load tool)', () => {
  const load = { max: { kind: 'int', flag: 'max', env: 'MAX_CONNECTIONS', default: 2000, description: 'realistic: never grow above this' } } satisfies OptionTable;
  assert.deepEqual(envClashes({ gateway: gatewayOptionTable, load }), ['MAX_CONNECTIONS: --max-connections of gateway and --max of load']);
});
