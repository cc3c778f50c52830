// Which code unmasks client frames in ws: Node's own (newer Node versions
// export http.websocketMask), bufferutil's native addon, or plain JavaScript.
// bufferutil falls back to JavaScript silently when its prebuilt binary does
// not load (another platform, a blocked install), so the gateway reports what
// it got at start-up (log field `ws_masking`, gauge `ws_native_bufferutil`).
import * as http from 'node:http';
import { createRequire } from 'node:module';

export type WsMasking = 'node' | 'bufferutil' | 'javascript';

const require = createRequire(import.meta.url);

/** Mirrors the order ws itself uses (ws/lib/buffer-util.js). */
export function wsMasking(env: NodeJS.ProcessEnv = process.env): WsMasking {
  if (typeof (http as Record<string, unknown>).websocketMask === 'function') return 'node';
  if (env.WS_NO_BUFFER_UTIL) return 'javascript';
  try {
    const loaded = require('bufferutil') as { mask: unknown };
    const fallback = require('bufferutil/fallback') as { mask: unknown };
    // bufferutil's index.js exports fallback.js when the native binary fails to load.
    return loaded.mask !== fallback.mask ? 'bufferutil' : 'javascript';
  } catch {
    return 'javascript';
  }
}
