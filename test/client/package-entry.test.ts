// The SDK is its own package: `import { OdinClient } from '@odin-gateway/client'`
// (packages/client/package.json "exports"), and the protocol's continuity rule is shared.
import { test } from 'node:test';
import assert from 'node:assert/strict';

test('the package exports the SDK, the protocol helpers and the continuity rule by name', async () => {
  const name = '@odin-gateway/client';
  const sdk = (await import(name)) as Record<string, unknown>;
  assert.equal(typeof sdk.OdinClient, 'function');
  const protocol = (await import(`${name}/protocol`)) as Record<string, unknown>;
  assert.equal(typeof protocol.parseServerFrame, 'function');
  const continuity = (await import(`${name}/continuity`)) as { classify: (last: unknown, m: unknown) => string };
  assert.equal(continuity.classify({ seq: 5, epoch: 'e' }, { seq: 9, prev: 5, epoch: 'e' }), 'next');
  assert.equal(continuity.classify({ seq: 5, epoch: 'e' }, { seq: 9, prev: 0, epoch: 'e' }), 'unverified');
  assert.equal(continuity.classify({ seq: 5, epoch: 'e' }, { seq: 9, prev: 7, epoch: 'e' }), 'gap');
  assert.equal(continuity.classify({ seq: 5, epoch: 'e' }, { seq: 5, prev: 3, epoch: 'e' }), 'duplicate');
  assert.equal(continuity.classify({ seq: 5, epoch: 'e' }, { seq: 2, prev: 0, epoch: 'f' }), 'epoch');
  assert.equal(continuity.classify(undefined, { seq: 2, prev: 1, epoch: 'f' }), 'first');
});
