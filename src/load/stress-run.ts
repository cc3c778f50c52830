// `odin load light|medium|heavy|custom`: opens N connections at a ramp rate,
// keeps them for the duration (reconnecting and resuming when the server
// closes one), then closes them all and summarizes.
import { LoadClient } from './load-client.js';
import { LoadStats, summarize, type LoadSummary, type TimelinePoint } from './load-stats.js';
import { sourceAddresses, sourceAddressFor } from './source-addresses.js';
import { sampleBookChannels } from './trader-types.js';

export interface StressOptions {
  mode: string;
  url: string;
  connections: number;
  durationMs: number;
  channels: readonly string[];
  /** Book channels; a `bookShare` of clients also follow one, verifying every checksum. */
  bookChannels?: readonly string[];
  bookShare?: number;
  /** Connections opened per second. */
  rampPerSec: number;
  keepaliveMs: number;
  /** Clients offer permessage-deflate (--compression on). */
  compression?: boolean;
  /** Delay before a client the server closed reconnects (and resumes). */
  reconnectDelayMs: number;
  onProgress?: (point: TimelinePoint, stats: LoadStats) => void;
  /** Aborts the run early (Ctrl-C): the summary still comes out. */
  signal?: AbortSignal;
}

const RAMP_TICK_MS = 100;

export async function runStress(options: StressOptions): Promise<LoadSummary> {
  const stats = new LoadStats();
  const host = new URL(options.url).hostname;
  const addresses = sourceAddresses(host, options.connections);
  const clients: LoadClient[] = [];
  let running = true;
  const timers = new Set<NodeJS.Timeout>();

  const reconnectLater = (client: LoadClient, _code: number, byUs: boolean): void => {
    if (byUs || !running) return;
    const t = setTimeout(() => {
      timers.delete(t);
      if (!running) return;
      stats.reconnects++;
      client.connect();
    }, options.reconnectDelayMs * (0.5 + Math.random()));
    timers.add(t);
  };

  const started = performance.now();
  let carry = 0;
  const ramp = setInterval(() => {
    carry += (options.rampPerSec * RAMP_TICK_MS) / 1000;
    while (carry >= 1 && clients.length < options.connections) {
      carry--;
      const client = new LoadClient(
        { url: options.url, channels: [...options.channels, ...sampleBookChannels(options.bookChannels ?? [], options.bookShare ?? 0)], keepaliveMs: options.keepaliveMs, compression: options.compression === true, localAddress: sourceAddressFor(addresses, clients.length) },
        stats,
      );
      client.onClosed = reconnectLater;
      clients.push(client);
      client.connect();
    }
    if (clients.length >= options.connections) clearInterval(ramp);
  }, RAMP_TICK_MS);
  // The timeline gets its point every second whether or not anyone prints it (--quiet still reports).
  const progress = setInterval(() => {
    const point = stats.tick();
    options.onProgress?.(point, stats);
  }, 1000);

  await new Promise<void>((resolve) => {
    const end = setTimeout(resolve, Math.max(0, options.durationMs - (performance.now() - started)));
    options.signal?.addEventListener('abort', () => {
      clearTimeout(end);
      resolve();
    });
  });
  running = false;
  clearInterval(ramp);
  clearInterval(progress);
  for (const t of timers) clearTimeout(t);
  stats.tick();
  const openAtEnd = stats.open;
  await closeAll(clients);
  return summarize(stats, options.mode, options.url, options.connections, openAtEnd);
}

/** Closes every client and waits (at most 3 s) for the closes to complete. */
export async function closeAll(clients: readonly LoadClient[]): Promise<void> {
  for (const c of clients) c.close();
  const deadline = Date.now() + 3000;
  while (clients.some((c) => c.connected) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const c of clients) if (c.connected) c.ws?.terminate();
}
