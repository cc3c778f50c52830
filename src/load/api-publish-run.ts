// `odin load api-publish`: how many messages/s a gateway stores through its
// server API. `concurrency` loops each keep one request in flight on its own
// keep-alive connection until the time is up; every answer's positions are
// checked (one per message, all distinct), so a fast wrong answer cannot pass.
import { randomBytes } from 'node:crypto';
import { OdinApiClient } from '../api/api-client.js';
import type { PublishMessage } from '../api/api-validation.js';

export interface ApiLoadOptions {
  url: string;
  key: string;
  batch: number;
  concurrency: number;
  durationMs: number;
  channels: number;
  idempotency: boolean;
}

export interface ApiLoadSummary {
  mode: 'single' | 'batch';
  batch: number;
  concurrency: number;
  durationSec: number;
  requests: number;
  messages: number;
  messagesPerSec: number;
  requestsPerSec: number;
  failedRequests: number;
  /** The first refusal or network error, if any. */
  firstError: string | null;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** Positions answered twice: must be 0. */
  duplicatePositions: number;
}

export async function runApiPublishLoad(o: ApiLoadOptions): Promise<ApiLoadSummary> {
  const client = new OdinApiClient({ url: o.url, key: o.key, maxSockets: o.concurrency });
  const run = randomBytes(4).toString('hex');
  const latencies: number[] = [];
  const seen = new Set<number>();
  let messages = 0;
  let failed = 0;
  let duplicates = 0;
  let firstError: string | null = null;
  let counter = 0;
  const nextMessage = (): PublishMessage => {
    const n = counter++;
    // A ~200-byte price tick, like the simulator's.
    const data = { type: 'price:update', tokenId: `T${n % o.channels}`, price: 100 + (n % 1000) / 7, volume24h: 123456.78, change24h: -1.25, ts: Date.now(), n };
    return { channel: `load.api.c${n % o.channels}`, data, ...(o.idempotency ? { idempotencyKey: `${run}-${n}` } : {}) };
  };
  const started = performance.now();
  const deadline = started + o.durationMs;
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        const positions = o.batch === 1 ? [await client.publish(nextMessage())] : await client.publishBatch(Array.from({ length: o.batch }, nextMessage));
        latencies.push(performance.now() - t0);
        for (const p of positions) {
          if (seen.has(p.seq)) duplicates++;
          seen.add(p.seq);
        }
        messages += positions.length;
      } catch (err) {
        failed++;
        firstError ??= err instanceof Error ? err.message : String(err);
        if (failed > 100 && messages === 0) break;
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, loop));
  const seconds = (performance.now() - started) / 1000;
  client.close();
  latencies.sort((a, b) => a - b);
  const pct = (q: number): number => round2(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
  return {
    mode: o.batch === 1 ? 'single' : 'batch',
    batch: o.batch,
    concurrency: o.concurrency,
    durationSec: round2(seconds),
    requests: latencies.length,
    messages,
    messagesPerSec: Math.round(messages / seconds),
    requestsPerSec: Math.round(latencies.length / seconds),
    failedRequests: failed,
    firstError,
    latencyMs: { p50: pct(0.5), p90: pct(0.9), p99: pct(0.99), max: round2(latencies[latencies.length - 1] ?? 0) },
    duplicatePositions: duplicates,
  };
}

export function apiLoadText(s: ApiLoadSummary): string {
  return (
    `api-publish ${s.mode} (batch ${s.batch}, ${s.concurrency} in flight, ${s.durationSec} s)\n` +
    `  messages/s  ${s.messagesPerSec}   (${s.messages} messages)\n` +
    `  requests/s  ${s.requestsPerSec}   (${s.requests} answered, ${s.failedRequests} failed${s.firstError ? `: ${s.firstError}` : ''})\n` +
    `  request ms  p50 ${s.latencyMs.p50}  p90 ${s.latencyMs.p90}  p99 ${s.latencyMs.p99}  max ${s.latencyMs.max}\n` +
    `  duplicate positions ${s.duplicatePositions}\n`
  );
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
