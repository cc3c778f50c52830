// The scale course's realistic minute (issue 23): after the broadcasts, every
// connection stays subscribed to its watch list (1 to 10 of the realistic
// channels, named at connect time) and the publisher sends 1 msg/s on each
// realistic channel for the phase's length. Checked: every delivery the
// watch lists call for arrived (received = sum over channels of published x
// audience), continuity on the sampled connections (gaps), no connection
// closed; reported: deliveries/s and publish-to-receive latency.
import type { RunningSystem } from './bench-systems.js';
import type { ClientPool } from './client-pool.js';
import { audiences } from './subscription-plan.js';

export interface RealisticShape {
  /** Channels published at 1 msg/s each during the phase. */
  channels: number;
  seconds: number;
  /** Fewest and most realistic channels per client. */
  minPerClient: number;
  maxPerClient: number;
}

export interface RealisticResult {
  channels: number;
  seconds: number;
  /** Mean realistic channels per client. */
  channelsPerClient: number;
  published: number;
  /** Deliveries the watch lists call for: sum over channels of published x audience. */
  expected: number;
  received: number;
  deliveriesPerSec: number;
  latencyMs: { p50: number; p99: number; max: number };
  /** Sequence breaks seen by the sampled connections. */
  gaps: number;
  /** Connections closed during the phase (a slow client is closed 4000). */
  closes: number;
  /** Busiest generator process's event-loop utilisation: near 1, the latency figures include the generator's own queueing. */
  generatorBusiest: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runRealisticMinute(system: RunningSystem, pool: ClientPool, plan: readonly (readonly string[])[], channels: readonly string[], shape: RealisticShape): Promise<RealisticResult> {
  const audience = audiences(plan.map((client) => client.slice(1)), channels);
  pool.startMeasuring();
  const startedAt = performance.now();
  system.setRate(channels.length, [...channels]);
  await sleep(shape.seconds * 1000);
  system.setRate(0, [...channels]);
  const published = await system.publishedPerChannel();
  const expected = published.reduce((n, p, i) => n + p * (audience[i] ?? 0), 0);
  // Everything published must arrive: wait until the count stops moving (quiet 1 s, at most 30 s).
  await pool.drain(1000, 30_000);
  const m = await pool.stopMeasuring();
  const seconds = (performance.now() - startedAt) / 1000;
  const latency = m.latency.percentiles();
  const subscriptions = plan.reduce((n, client) => n + client.length - 1, 0);
  return {
    channels: channels.length,
    seconds: shape.seconds,
    channelsPerClient: Math.round((subscriptions / Math.max(1, plan.length)) * 100) / 100,
    published: published.reduce((a, b) => a + b, 0),
    expected,
    received: m.received,
    deliveriesPerSec: Math.round(m.received / Math.max(0.001, seconds)),
    latencyMs: { p50: latency.p50, p99: latency.p99, max: latency.max },
    gaps: m.gaps,
    closes: m.closes,
    generatorBusiest: Math.max(0, ...m.generatorUtilization),
  };
}
