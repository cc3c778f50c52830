// The scale course's realistic minute (issue 23): after the broadcasts, every
// connection stays subscribed to its watch list (1 to 10 of the realistic
// channels, named at connect time) and the publisher sends 1 msg/s on each
// realistic channel for the phase's length. At 1 msg/s the watch lists ask
// one delivery per second per subscription (200,000 clients x 5.5: 1.1
// million/s), far past what 2 shared cores deliver; asked more than the
// box can give, the phase would only measure queues. So the rate per channel
// is lowered until the watch lists ask at most `maxDeliveriesPerSec`, and the
// report says by how much. Checked: every delivery the
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
  /** The most deliveries/s the phase asks; each channel publishes below 1 msg/s when the watch lists would ask more (absent or 0: always 1 msg/s). */
  maxDeliveriesPerSec?: number;
}

/** Each channel's rate: 1 msg/s, or lower so that `subscriptions` x rate stays within the cap. */
export function realisticChannelRate(subscriptions: number, maxDeliveriesPerSec: number | undefined): number {
  if (!maxDeliveriesPerSec || subscriptions <= maxDeliveriesPerSec) return 1;
  return maxDeliveriesPerSec / subscriptions;
}

export interface RealisticResult {
  channels: number;
  seconds: number;
  /** Messages per second on each channel (1, or lower when capped: RealisticShape.maxDeliveriesPerSec). */
  perChannelPerSec: number;
  /** Deliveries per second the watch lists ask at that rate. */
  askedPerSec: number;
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
  const subscriptions = plan.reduce((n, client) => n + client.length - 1, 0);
  const perChannelPerSec = realisticChannelRate(subscriptions, shape.maxDeliveriesPerSec);
  pool.startMeasuring();
  const startedAt = performance.now();
  system.setRate(channels.length * perChannelPerSec, [...channels]);
  await sleep(shape.seconds * 1000);
  system.setRate(0, [...channels]);
  const published = await system.publishedPerChannel();
  const expected = published.reduce((n, p, i) => n + p * (audience[i] ?? 0), 0);
  // Everything published must arrive: wait until the count stops moving (quiet 1 s, at most 30 s).
  await pool.drain(1000, 30_000);
  const m = await pool.stopMeasuring();
  const seconds = (performance.now() - startedAt) / 1000;
  const latency = m.latency.percentiles();
  return {
    channels: channels.length,
    seconds: shape.seconds,
    perChannelPerSec: Math.round(perChannelPerSec * 10_000) / 10_000,
    askedPerSec: Math.round(subscriptions * perChannelPerSec),
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
