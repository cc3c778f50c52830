// The slow-consumers course (issue 22): a tenth of the clients read at a
// tenth of their channels' rate (they stop reading their sockets when ahead,
// so TCP backpressure reaches the gateway). One invocation runs three
// gateways in turn, at the same publish rate on the same channels:
//   1. without slow clients (only the fast ones), gateway --slow-client conflate;
//   2. with them, gateway --slow-client conflate: the slow ones should be
//      switched to conflation and stay connected;
//   3. with them, gateway --slow-client close, for contrast: they are closed
//      with 4000 (and reconnect, as the generator does for any lost connection).
// Reported per run: the fast clients' deliveries/s, p50 and p99 (the slow
// readers are never sampled), the slow readers still connected at the end,
// their `conflating` messages and closes by code, and the server's RSS at the
// start, middle and end of the measurement window. The verdict compares the
// fast p99 of run 2 with run 1 (target <= 1.2x) and checks RSS is flat.
import type { LatencyPercentiles } from '../load/latency-recorder.js';
import { fanout, scenarioPlan, type Scenario, type SystemResult, type Timing } from './bench-scenario.js';
import type { SystemSpec } from './bench-systems.js';
import { ClientPool } from './client-pool.js';
import { benchChannels } from './price-tick.js';
import { rssKiB } from './proc-stats.js';

export interface SlowConsumersSettings {
  /** Every n-th client is a slow reader (10: 10%). */
  slowEvery: number;
  /** The slow readers' share of their channels' message rate (0.1: a tenth). */
  readFactor: number;
  /**
   * The slow readers watch every channel (a dashboard of every price), the
   * others their share. Why: the kernel buffers a lot before the gateway's
   * budget is reached (on loopback the send buffer autotunes to
   * net.ipv4.tcp_wmem's maximum, 4 MiB here, as its MSS is 64 KiB), so a
   * reader of one channel's rate takes minutes to back up; a reader of every
   * channel backs up within tens of seconds.
   */
  slowWatchEveryChannel: boolean;
  /** The gateway's byte budget per connection (--max-queue-bytes) in every run; absent: its default. */
  maxQueueBytes?: number;
  /** Longest wait for every slow reader to be switched (or closed) before measuring. */
  switchWaitMs: number;
  /** The measurement window (RSS sampled through it). */
  windowMs: number;
}

export type SlowRunLabel = 'without slow clients' | 'slow clients, conflate' | 'slow clients, close';

export interface SlowRunPlan {
  label: SlowRunLabel;
  policy: 'close' | 'conflate';
  /** Channels of each client of this run. */
  plan: string[][];
  /** Per client: the slow reader's messages per second, or undefined for a fast client. */
  readPerSec: (number | undefined)[];
  fastClients: number;
  slowClients: number;
  slowSubscriptions: number;
  /** Messages published per second over all channels. */
  messagesPerSec: number;
  /** Deliveries per second the fast clients should get. */
  fastOfferedPerSec: number;
}

/** The three runs of the course, from the scenario: the same channels, rate and fast clients in each. */
export function slowConsumersPlan(scenario: Scenario): SlowRunPlan[] {
  const settings = scenario.slowConsumers!;
  const isSlow = (i: number): boolean => i % settings.slowEvery === settings.slowEvery - 1;
  const everyChannel = benchChannels(scenario.channels);
  const all = scenarioPlan(scenario).map((channels, i) => (isSlow(i) && settings.slowWatchEveryChannel ? [...everyChannel] : channels));
  const messagesPerSec = scenario.fixedDeliveriesPerSec! / fanout(scenario);
  const perChannelPerSec = messagesPerSec / scenario.channels;
  const fast = all.filter((_, i) => !isSlow(i));
  const fastOfferedPerSec = fast.reduce((n, channels) => n + channels.length * perChannelPerSec, 0);
  const slowRate = (channels: readonly string[]): number => channels.length * perChannelPerSec * settings.readFactor;
  const withSlow = (label: SlowRunLabel, policy: 'close' | 'conflate'): SlowRunPlan => ({
    label,
    policy,
    plan: all,
    readPerSec: all.map((channels, i) => (isSlow(i) ? slowRate(channels) : undefined)),
    fastClients: fast.length,
    slowClients: all.length - fast.length,
    slowSubscriptions: all.filter((_, i) => isSlow(i)).reduce((n, channels) => n + channels.length, 0),
    messagesPerSec,
    fastOfferedPerSec,
  });
  return [
    { label: 'without slow clients', policy: 'conflate', plan: fast, readPerSec: fast.map(() => undefined), fastClients: fast.length, slowClients: 0, slowSubscriptions: 0, messagesPerSec, fastOfferedPerSec },
    withSlow('slow clients, conflate', 'conflate'),
    withSlow('slow clients, close', 'close'),
  ];
}

export interface SlowRunResult {
  label: SlowRunLabel;
  policy: 'close' | 'conflate';
  fastClients: number;
  slowClients: number;
  fastOfferedPerSec: number;
  fastDeliveredPerSec: number;
  fastLatencyMs: LatencyPercentiles;
  /** Messages missing in a channel's sequence at sampled fast clients (must be 0). */
  gaps: number;
  /** Fast clients the server closed. */
  fastCloses: number;
  /** Subscriptions of the slow readers (each channel is one). */
  slowSubscriptions: number;
  /**
   * Slow readers connected at the end of the window, as the gateway counts
   * them (its open connections less the fast clients): a reader closed with
   * 4000 sees its close frame only after its backlog, and reconnects.
   */
  slowConnectedAtEnd: number;
  /** The same as the slow readers see it (connected and subscribed). */
  slowConnectedAtEndClientView: number;
  /** The gateway's own counts by the end: subscriptions it switched to conflation, connections it closed with 4000. */
  serverSwitched: number;
  serverClosed4000: number;
  /**
   * `conflating` messages the slow readers had read by the end. A notice
   * queues behind what the kernel already holds for the connection, so it
   * is read well after the switch (see slowMaxLagMs).
   */
  slowConflating: number;
  /** The slow readers' closes over the whole run, by close code ('none': no close frame). */
  slowCloses: Record<string, number>;
  slowReceived: number;
  /**
   * At the end: the oldest, over the connected slow readers, of the newest
   * value each had read (now - its publish time). What the kernel's buffers
   * held before the switch is still being read at a tenth of the rate.
   */
  slowMaxLagMs: number;
  /** From the publishing start until the gateway had switched every slow subscription (conflate) or closed every slow reader once (close); absent: not within switchWaitMs. */
  slowSwitchedAfterMs?: number;
  /** Server RSS at the window's start, middle and end (no forced GC), and the highest sampled. */
  rssKiB: { start: number; middle: number; end: number; max: number };
}

export interface SlowConsumersVerdict {
  /** Fast p99 with slow clients (conflate) over without. */
  p99Ratio?: number;
  p99Holds: boolean;
  /** Every slow reader connected at the end of the conflate run (the gateway's count), none closed (by the gateway's count and by the readers'). */
  slowStayConnected: boolean;
  /** RSS at the middle and end of the conflate run within RSS_FLAT_TOLERANCE of its start. */
  rssFlat: boolean;
  /** In the close run, slow readers were closed with 4000. */
  closeRunClosed4000: boolean;
}

export const P99_RATIO_TARGET = 1.2;
/** RSS counts as flat when it moves by at most this share of the start over the window. */
export const RSS_FLAT_TOLERANCE = 0.1;

export function slowConsumersVerdict(runs: readonly SlowRunResult[]): SlowConsumersVerdict {
  const base = runs.find((r) => r.label === 'without slow clients');
  const conflate = runs.find((r) => r.label === 'slow clients, conflate');
  const close = runs.find((r) => r.label === 'slow clients, close');
  const p99Ratio = base && conflate && base.fastLatencyMs.p99 > 0 ? Math.round((conflate.fastLatencyMs.p99 / base.fastLatencyMs.p99) * 100) / 100 : undefined;
  const flat = (r: SlowRunResult): boolean => [r.rssKiB.middle, r.rssKiB.end].every((v) => Math.abs(v - r.rssKiB.start) <= r.rssKiB.start * RSS_FLAT_TOLERANCE);
  return {
    ...(p99Ratio !== undefined ? { p99Ratio } : {}),
    p99Holds: p99Ratio !== undefined && p99Ratio <= P99_RATIO_TARGET,
    slowStayConnected:
      !!conflate && conflate.slowClients > 0 && conflate.slowConnectedAtEnd === conflate.slowClients && conflate.serverClosed4000 === 0 && Object.keys(conflate.slowCloses).length === 0,
    rssFlat: !!conflate && flat(conflate),
    closeRunClosed4000: !!close && close.serverClosed4000 > 0,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runSlowConsumers(spec: SystemSpec, scenario: Scenario, timing: Timing, result: SystemResult, log: (line: string) => void): Promise<SystemResult> {
  const runs: SlowRunResult[] = [];
  try {
    for (const run of slowConsumersPlan(scenario)) {
      const r = await runOne(spec, scenario, timing, run, log);
      runs.push(r);
      const closes = Object.entries(r.slowCloses).map(([code, n]) => `${n} x ${code}`).join(', ') || 'none';
      log(
        `  ${spec.name} ${r.label}: fast ${r.fastDeliveredPerSec}/${r.fastOfferedPerSec} deliv/s, p50 ${r.fastLatencyMs.p50} ms, p99 ${r.fastLatencyMs.p99} ms, gaps ${r.gaps}; ` +
          `slow connected at end ${r.slowConnectedAtEnd}/${r.slowClients}, switched by the gateway ${r.serverSwitched}/${r.slowSubscriptions} subscriptions, closed 4000 by the gateway ${r.serverClosed4000}, conflating notices read ${r.slowConflating}, closes seen ${closes}, newest value read ${r.slowMaxLagMs} ms old; RSS ${r.rssKiB.start} / ${r.rssKiB.middle} / ${r.rssKiB.end} KiB`,
      );
    }
  } catch (err) {
    result.status = 'failed';
    result.note = err instanceof Error ? err.message : String(err);
  }
  const verdict = slowConsumersVerdict(runs);
  result.slowConsumers = { runs, verdict };
  result.gaps = runs.reduce((n, r) => n + r.gaps, 0);
  return result;
}

async function runOne(spec: SystemSpec, scenario: Scenario, timing: Timing, run: SlowRunPlan, log: (line: string) => void): Promise<SlowRunResult> {
  const settings = scenario.slowConsumers!;
  const system = await spec.start({ slowClient: { policy: run.policy, ...(settings.maxQueueBytes !== undefined ? { maxQueueBytes: settings.maxQueueBytes } : {}) } });
  let pool: ClientPool | undefined;
  try {
    pool = await ClientPool.open(system, { plan: run.plan, readPerSec: run.readPerSec, workers: timing.workers, sampleEvery: timing.sampleEvery });
    if (pool.ready < run.plan.length) throw new Error(`${run.label}: ${run.plan.length - pool.ready} connections failed: ${JSON.stringify(pool.errors)}`);
    const channels = benchChannels(scenario.channels);
    const publishingFrom = Date.now();
    system.setRate(run.messagesPerSec, channels);
    // Every run's gateway is fresh: the same warm-up (JIT) in each before any measurement.
    await sleep(timing.primeMs + timing.warmupMs);
    // Measure once the gateway has applied its policy to every slow reader (its own counters: a positive marker), not after a guessed delay.
    let slowSwitchedAfterMs: number | undefined;
    if (run.slowClients > 0) {
      const deadline = publishingFrom + settings.switchWaitMs;
      for (;;) {
        const stats = await system.slowClientStats();
        const met = run.policy === 'conflate' ? stats.conflated >= run.slowSubscriptions : stats.closed >= run.slowClients;
        if (met) {
          slowSwitchedAfterMs = Date.now() - publishingFrom;
          break;
        }
        if (Date.now() > deadline) {
          log(`  ${spec.name} ${run.label}: after ${settings.switchWaitMs} ms, ${run.policy === 'conflate' ? `${stats.conflated} of ${run.slowSubscriptions} slow subscriptions switched` : `${stats.closed} of ${run.slowClients} slow readers closed`}; measuring anyway`);
          break;
        }
        await sleep(250);
      }
    }
    const rss: number[] = [rssKiB(system.serverPid)];
    pool.startMeasuring();
    const sampleMs = Math.max(100, Math.round(settings.windowMs / 10));
    for (let t = 0; t < settings.windowMs; t += sampleMs) {
      await sleep(sampleMs);
      rss.push(rssKiB(system.serverPid));
    }
    const m = await pool.stopMeasuring();
    const after = await pool.counts();
    const stats = await system.slowClientStats();
    system.setRate(0, channels);
    return {
      label: run.label,
      policy: run.policy,
      fastClients: run.fastClients,
      slowClients: run.slowClients,
      fastOfferedPerSec: Math.round(run.fastOfferedPerSec),
      fastDeliveredPerSec: Math.round(m.perSecond),
      fastLatencyMs: m.latency.percentiles(),
      gaps: after.gaps,
      fastCloses: after.closes,
      slowSubscriptions: run.slowSubscriptions,
      slowConnectedAtEnd: Math.max(0, stats.active - after.ready),
      slowConnectedAtEndClientView: after.slow.ready,
      serverSwitched: stats.conflated,
      serverClosed4000: stats.closed,
      slowConflating: after.slow.conflating,
      slowCloses: after.slow.closes,
      slowReceived: after.slow.received,
      slowMaxLagMs: after.slow.maxLagMs,
      ...(slowSwitchedAfterMs !== undefined ? { slowSwitchedAfterMs } : {}),
      rssKiB: { start: rss[0]!, middle: rss[Math.floor(rss.length / 2)]!, end: rss[rss.length - 1]!, max: Math.max(...rss) },
    };
  } finally {
    await pool?.close();
    await system.stop();
  }
}
