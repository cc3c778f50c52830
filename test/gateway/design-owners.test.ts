// docs/design.md's "Who owns what" names, for each piece of state, the one
// file and class (or function) that owns it and the member the compiler keeps
// to it. This test reads that table so the doc cannot rot silently: every
// file must exist, declare the class or function, and declare the member
// `private` (or `readonly`, or `#`) inside that class.
//
// The second half is checked by the build, not at run time: each
// `@ts-expect-error` below is an access the owner forbids. Should a member
// become public (or writable) again, the directive is unused and `tsc` fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { ClientConnection } from '../../src/gateway/client-connection.js';
import type { ConnectionWriter } from '../../src/gateway/connection-writer.js';
import type { OdinGateway } from '../../src/gateway/gateway-server.js';
import type { Subscription } from '../../src/gateway/subscription.js';
import type { UpgradeAdmission } from '../../src/gateway/upgrade-admission.js';

const root = new URL('../../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');

interface OwnerRow {
  state: string;
  file: string;
  owner: string;
  member: string | undefined;
}

/** The rows of the table under "## Who owns what". */
function ownerRows(): OwnerRow[] {
  const doc = read('docs/design.md');
  const start = doc.indexOf('\n## Who owns what\n');
  assert.ok(start >= 0, 'docs/design.md has a "Who owns what" section');
  const end = doc.indexOf('\n## ', start + 1);
  const section = doc.slice(start, end < 0 ? undefined : end);
  const rows: OwnerRow[] = [];
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    // | state | `file` | `Owner` | `member` or - |
    if (cells.length !== 6 || !cells[2]!.startsWith('`')) continue;
    const unquote = (cell: string): string => cell.replace(/^`|`$/g, '');
    rows.push({ state: cells[1]!, file: unquote(cells[2]!), owner: unquote(cells[3]!), member: cells[4] === '-' ? undefined : unquote(cells[4]!) });
  }
  return rows;
}

/** The body of `class name` (up to the closing brace at the start of a line), or undefined. */
function classBody(source: string, name: string): string | undefined {
  const at = source.search(new RegExp(`^export (abstract )?class ${name}\\b`, 'm'));
  if (at < 0) return undefined;
  const close = source.indexOf('\n}', at);
  return source.slice(at, close < 0 ? undefined : close);
}

test('docs/design.md "Who owns what": every owner named is in the code, its state kept by the compiler', () => {
  const rows = ownerRows();
  assert.ok(rows.length >= 30, `the table has its rows (found ${rows.length})`);
  const problems: string[] = [];
  for (const row of rows) {
    const where = `${row.state} -> ${row.file} ${row.owner}`;
    if (!existsSync(new URL(row.file, root))) {
      problems.push(`${where}: no such file`);
      continue;
    }
    const source = read(row.file);
    const body = classBody(source, row.owner);
    if (body === undefined) {
      if (!new RegExp(`^export (async )?function ${row.owner}\\b`, 'm').test(source)) problems.push(`${where}: declares no class or function ${row.owner}`);
      else if (row.member !== undefined) problems.push(`${where}: ${row.owner} is a function, it has no member ${row.member}`);
      continue;
    }
    if (row.member === undefined) continue;
    const kept = new RegExp(`(^|\\n)\\s*(private\\s+(readonly\\s+)?|readonly\\s+)${row.member}\\b|#${row.member}\\b`);
    if (!kept.test(body)) problems.push(`${where}: ${row.member} is not a private or readonly member of ${row.owner}`);
  }
  assert.deepEqual(problems, [], problems.join('\n'));
});

test('docs/design.md "Who owns what": every file the section names exists', () => {
  const doc = read('docs/design.md');
  const start = doc.indexOf('\n## Who owns what\n');
  const section = doc.slice(start, doc.indexOf('\n## ', start + 1));
  const files = new Set<string>();
  for (const dir of ['src', 'packages/client/src', 'test']) for (const entry of readdirSync(new URL(dir, root), { recursive: true })) files.add(String(entry).split('/').at(-1)!);
  const named = new Set([...section.matchAll(/(?<![\w.-])([a-z][a-z0-9.-]*\.ts)\b/g)].map((m) => m[1]!));
  const missing = [...named].filter((name) => !files.has(name));
  assert.ok(named.size >= 30, `the section names its files (found ${named.size})`);
  assert.deepEqual(missing, [], `files named in "Who owns what" that are not in src/, packages/client/src/ or test/: ${missing.join(', ')}`);
});

test('no placeholder casts: no "undefined as unknown as" in src/, and MsgRequest is cast in one typed helper only', () => {
  const offenders: string[] = [];
  for (const entry of readdirSync(new URL('src', root), { recursive: true })) {
    const path = `src/${String(entry)}`;
    if (!path.endsWith('.ts')) continue;
    const source = read(path);
    if (source.includes('undefined as unknown as')) offenders.push(`${path}: undefined as unknown as`);
    if (/as unknown as MsgRequest/.test(source) && path !== 'src/broker/nats-next-message.ts') offenders.push(`${path}: as unknown as MsgRequest (use nextMessageOn)`);
  }
  assert.deepEqual(offenders, []);
});

/**
 * Never called: type-checked by the build. Each line below the directive is
 * an access its owner forbids; if it compiles, the directive is unused and
 * the build fails.
 */
export function _accessesTheCompilerRefuses(gateway: OdinGateway, admission: UpgradeAdmission, conn: ClientConnection, writer: ConnectionWriter, sub: Subscription): void {
  // @ts-expect-error the writer holds the socket privately: writes, pings and the close go through it
  void writer.socket;
  // @ts-expect-error the writer holds the WebSocket (or SSE transport) privately
  void writer.ws;
  // @ts-expect-error held bytes are reserved and released only through the writer
  writer.heldBytes = 0;
  // @ts-expect-error the connection's lifecycle is its own
  conn.lifecycle = 'open';
  // @ts-expect-error subscriptions are added only through conn.addSubscription
  void conn.subscriptions;
  // @ts-expect-error a token's grants and end are set through conn.setCredentials (admission, in-band auth)
  conn.grants = [];
  // @ts-expect-error ... both of them
  conn.closeAt = 0;
  // @ts-expect-error liveness: markAlive (frames, pongs, probes) and takeAliveMark (the keepalive sweep)
  conn.alive = true;
  // @ts-expect-error the default channels: enterDefaultChannels / leaveDefaultChannels
  conn.onDefaultChannels = false;
  // @ts-expect-error the server's close code: close() or closedForProtocolError()
  conn.serverCloseCode = 1000;
  // @ts-expect-error frames refused over the rate limit: countRateLimited
  conn.rateLimitedCount = 0;
  // @ts-expect-error the expiry schedule keeps each connection's place in its heap itself
  conn.expiryIndex = -1;
  // @ts-expect-error a subscription's phase moves only through its methods
  sub.phase = 'live';
  // @ts-expect-error a subscription's held messages are private
  void sub.held;
  // @ts-expect-error a subscription's position moves only through wroteUpTo (forward)
  sub.lastSeq = 0;
  // @ts-expect-error a subscription's conflation interval: the constructor, or switchToConflation
  sub.conflate = 1000;
  // @ts-expect-error admission alone adds and removes open connections (opened/closed)
  admission.connections.add(conn);
  // @ts-expect-error the connection limit is admission's, set once
  admission.maxConnections = 1;
  // @ts-expect-error upgrades in progress are counted by admission alone
  admission.upgrading = 0;
  // @ts-expect-error the gateway's view of the connections is read-only
  gateway.connections.delete(conn);
  // @ts-expect-error the gateway's parts are its own
  void gateway.parts;
}
