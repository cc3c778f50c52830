// Which code unmasks client frames: the check sees bufferutil's native binary
// on this machine, and sees the plain JavaScript path when ws is told to skip it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { wsMasking } from '../../src/gateway/ws-masking.js';

test('bufferutil\'s prebuilt binary is loaded on linux-x64 (or Node unmasks natively)', () => {
  const masking = wsMasking({});
  if (process.platform === 'linux' && process.arch === 'x64') assert.ok(['bufferutil', 'node'].includes(masking), masking);
});

test('WS_NO_BUFFER_UTIL (ws skips bufferutil) is reported as plain JavaScript: the check can fail', (t) => {
  if (wsMasking({}) === 'node') return t.skip('this Node unmasks natively; ws ignores WS_NO_BUFFER_UTIL');
  assert.equal(wsMasking({ WS_NO_BUFFER_UTIL: '1' }), 'javascript');
});
