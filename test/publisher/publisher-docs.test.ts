// docs/publisher.md says what the code does: every publisher option with its
// flag, variable and default, and every field the control API accepts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { publisherOptionTable } from '../../src/config/publisher-options.js';
import { parseControlRequest } from '../../src/publisher/control-request.js';

const doc = readFileSync(new URL('../../../docs/publisher.md', import.meta.url), 'utf8');

test('docs/publisher.md lists every publisher option with its flag and variable', () => {
  for (const spec of Object.values(publisherOptionTable)) {
    const row = doc.split('\n').find((line) => line.startsWith(`| \`--${spec.flag}\` |`));
    assert.ok(row, `--${spec.flag} missing from the options table`);
    assert.ok(row.includes(`\`${spec.env}\``), `${spec.env} missing from the row of --${spec.flag}`);
  }
});

test('docs/publisher.md documents every control field the API accepts', () => {
  const valid: Record<string, unknown> = { messagesPerSecond: 10, duration: 5, tokens: ['BTC'], statisticsIntervalMs: 1000, tradeEventsPerSecond: 1, bookMessagesPerSecond: 5, users: ['alice'] };
  for (const [field, value] of Object.entries(valid)) {
    assert.ok(doc.includes(`| \`${field}\` |`), `${field} missing from docs/publisher.md`);
    // And the API really accepts it (an unknown field would be a 400).
    assert.doesNotThrow(() => parseControlRequest({ action: 'configure', [field]: value }));
  }
});
