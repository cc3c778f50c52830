// The documents say what the code does: every client-visible code is in
// docs/protocol.md, every gateway setting is in the README's table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CloseCode, ErrorCode } from '../../src/protocol/codes.js';
import { gatewayOptionTable } from '../../src/config/gateway-options.js';

const root = new URL('../../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');

test('docs/protocol.md documents every error code and close code', () => {
  const doc = read('docs/protocol.md');
  for (const code of Object.values(ErrorCode)) assert.match(doc, new RegExp('`' + code + '`'), code);
  for (const [name, value] of Object.entries(CloseCode)) {
    assert.match(doc, new RegExp('`' + value + '`\\s*\\|\\s*`' + name + '`'), `${value} ${name}`);
  }
});

test("README's configuration table lists every gateway option with its flag and variable", () => {
  const readme = read('README.md');
  for (const spec of Object.values(gatewayOptionTable)) {
    assert.ok(readme.includes(`--${spec.flag}`), `--${spec.flag} missing from README`);
    assert.ok(readme.includes(spec.env), `${spec.env} missing from README`);
  }
});
