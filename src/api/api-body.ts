// Reads a JSON request body: JSON only (415), bounded (413) before and while
// reading, nested at most MAX_JSON_DEPTH levels and parsed (400 INVALID_JSON). An oversized body is drained, not
// buffered, so the 413 still reaches the client.
import type { IncomingMessage } from 'node:http';
import { jsonNestedDeeperThan, MAX_JSON_DEPTH } from '../protocol/json-depth.js';
import { ApiError } from './api-errors.js';

export function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    return Promise.reject(new ApiError('UNSUPPORTED_MEDIA_TYPE', `Content-Type must be application/json, got ${JSON.stringify(type || '(none)')}`));
  }
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > maxBytes) return Promise.reject(new ApiError('BODY_TOO_LARGE', `body of ${declared} bytes; at most ${maxBytes}`, { limit: maxBytes }));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      // Chunked bodies have no Content-Length: count as they come and stop at the limit.
      if (size > maxBytes) {
        req.off('data', onData);
        req.off('end', onEnd);
        req.resume();
        reject(new ApiError('BODY_TOO_LARGE', `body over ${maxBytes} bytes`, { limit: maxBytes }));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      const text = Buffer.concat(chunks, size).toString('utf8');
      if (jsonNestedDeeperThan(text)) {
        reject(new ApiError('INVALID_JSON', `body is nested deeper than ${MAX_JSON_DEPTH} levels`));
        return;
      }
      try {
        resolve(JSON.parse(text) as unknown);
      } catch (err) {
        reject(new ApiError('INVALID_JSON', `body is not JSON: ${(err as Error).message}`));
      }
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', reject);
  });
}
