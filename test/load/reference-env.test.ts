// The reference's load tools read WS_URL; Odin's read it too when LOAD_URL is unset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigFrom } from '../../src/config/load-options.js';

test('WS_URL is the gateway URL when LOAD_URL is unset; LOAD_URL and --url win', () => {
  assert.equal(loadConfigFrom(['light'], { WS_URL: 'ws://127.0.0.2:4000/ws' }).url, 'ws://127.0.0.2:4000/ws');
  assert.equal(loadConfigFrom(['light'], { WS_URL: 'ws://127.0.0.2:4000/ws', LOAD_URL: 'ws://127.0.0.3:5/ws' }).url, 'ws://127.0.0.3:5/ws');
  assert.equal(loadConfigFrom(['light', '--url', 'ws://127.0.0.4:6/ws'], { WS_URL: 'ws://127.0.0.2:4000/ws' }).url, 'ws://127.0.0.4:6/ws');
});
