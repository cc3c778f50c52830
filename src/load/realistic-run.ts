// `odin load realistic`: the trading simulation. A population of traders of
// the reference's types opens sessions of typical lengths; 70% come back 5 s
// after a session ends and resume where they left off; the population follows
// a target that ramps up 10 connections every 500 ms, is 1.5x in peak hours,
// and moves with the gateway's /health and this generator's own load
// (auto-balancing). `timeScale` shrinks
// every simulated duration (sessions, delays, ramp) so a day's churn fits in a
// short run; the run itself lasts `durationMs` of wall-clock time.
import { decideBalance, desiredConnections, rampStep, type HealthSnapshot } from './auto-balancer.js';
import { LoadClient } from './load-client.js';
import { LoadStats, summarize, type LoadSummary, type RealisticSummary, type TimelinePoint } from './load-stats.js';
import { sourceAddresses, sourceAddressFor } from './source-addresses.js';
import { closeAll } from './stress-run.js';
import { sampleBookChannels, sampleChannels, sampleSessionMs, sampleTraderType, type TraderType } from './trader-types.js';

export interface RealisticOptions {
  url: string;
  healthUrl: string;
  target: number;
  min: number;
  max: number;
  /** How long the run lasts, wall-clock ms (not scaled by `timeScale`). */
  durationMs: number;
  /** Speed of the simulated day: 1 = real time; 0.01 = a hundred times faster (sessions, delays, ramp). */
  timeScale: number;
  channels: readonly string[];
  /** Book channels; a `bookShare` of traders also follow one, verifying every checksum. */
  bookChannels?: readonly string[];
  bookShare?: number;
  keepaliveMs: number;
  /** Clients offer permessage-deflate (--compression on). */
  compression?: boolean;
  random?: () => number;
  /**
   * false: the balancer leaves this process's own event loop out (it is still measured and
   * flagged), for a run embedded in a process that also runs the gateway, whose loop it shares.
   */
  balanceOnGenerator?: boolean;
  onProgress?: (point: TimelinePoint, stats: LoadStats) => void;
  signal?: AbortSignal;
}

export const REALISTIC_RULES = {
  rampBatch: 10,
  rampIntervalMs: 500,
  reconnectShare: 0.7,
  reconnectDelayMs: 5000,
  healthIntervalMs: 5000,
  /** After a server-side close (slow client, restart), come back quickly. */
  incidentReconnectMs: 1000,
} as const;

/** Scaled periods never go below this: timers of a few ms would only measure the timer wheel. */
const MIN_PERIOD_MS = 20;

interface Trader {
  type: TraderType;
  client: LoadClient;
  sessionTimer: NodeJS.Timeout | undefined;
  /** Waiting to come back: counts toward the population. */
  away: boolean;
}

export async function runRealistic(options: RealisticOptions): Promise<LoadSummary> {
  const random = options.random ?? Math.random;
  const scale = (ms: number): number => Math.max(MIN_PERIOD_MS, ms * options.timeScale);
  const stats = new LoadStats();
  const addresses = sourceAddresses(new URL(options.url).hostname, options.max);
  const traders = new Set<Trader>();
  const timers = new Set<NodeJS.Timeout>();
  const realistic: RealisticSummary = { timeScale: options.timeScale, finalTarget: options.target, sessionsStarted: {}, sessionsEnded: 0, leftForGood: 0, decisions: [] };
  let target = options.target;
  let running = true;
  let spawned = 0;
  const startedAt = Date.now();
  const simulatedNow = (): Date => new Date(startedAt + (Date.now() - startedAt) / options.timeScale);

  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (running) fn();
    }, ms);
    timers.add(t);
  };

  const startSession = (trader: Trader): void => {
    trader.away = false;
    realistic.sessionsStarted[trader.type.name] = (realistic.sessionsStarted[trader.type.name] ?? 0) + 1;
    trader.client.connect();
    const length = sampleSessionMs(trader.type, options.timeScale, random);
    trader.sessionTimer = setTimeout(() => endSession(trader), length);
    timers.add(trader.sessionTimer);
  };

  const endSession = (trader: Trader): void => {
    if (trader.sessionTimer) timers.delete(trader.sessionTimer);
    trader.sessionTimer = undefined;
    realistic.sessionsEnded++;
    trader.client.close(1000);
    if (running && random() < REALISTIC_RULES.reconnectShare) {
      trader.away = true;
      later(scale(REALISTIC_RULES.reconnectDelayMs), () => {
        if (!traders.has(trader)) return;
        stats.reconnects++;
        startSession(trader);
      });
    } else {
      leave(trader);
    }
  };

  const leave = (trader: Trader): void => {
    if (trader.sessionTimer) clearTimeout(trader.sessionTimer);
    if (traders.delete(trader)) realistic.leftForGood++;
  };

  const onIncident = (trader: Trader, byUs: boolean): void => {
    // The server closed us (slow, shutdown) or the connect failed: come back and resume.
    if (byUs || !running || !traders.has(trader) || trader.away) return;
    trader.away = true;
    later(scale(REALISTIC_RULES.incidentReconnectMs), () => {
      if (!traders.has(trader) || !trader.away) return;
      trader.away = false;
      stats.reconnects++;
      trader.client.connect();
    });
  };

  const spawn = (): void => {
    const type = sampleTraderType(random);
    const client = new LoadClient(
      { url: options.url, channels: [...sampleChannels(type, options.channels, random), ...sampleBookChannels(options.bookChannels ?? [], options.bookShare ?? 0, random)], keepaliveMs: options.keepaliveMs, compression: options.compression === true, localAddress: sourceAddressFor(addresses, spawned++) },
      stats,
    );
    const trader: Trader = { type, client, sessionTimer: undefined, away: false };
    client.onClosed = (_client, _code, byUs) => onIncident(trader, byUs);
    traders.add(trader);
    startSession(trader);
  };

  const shed = (count: number): void => {
    // Shedding closes sessions for good: these traders go away.
    const victims = [...traders].slice(0, count);
    for (const trader of victims) {
      trader.client.close(1000);
      leave(trader);
    }
  };

  const rampTimer = setInterval(() => {
    const step = rampStep(traders.size, desiredConnections(target, simulatedNow(), options.min, options.max), REALISTIC_RULES.rampBatch);
    if (step > 0) for (let i = 0; i < step; i++) spawn();
    else if (step < 0) shed(-step);
  }, scale(REALISTIC_RULES.rampIntervalMs));

  let lastAttempted = 0;
  let lastFailed = 0;
  const balanceTimer = setInterval(() => {
    // The generator's figures over exactly this period, taken before waiting for /health.
    const generator = options.balanceOnGenerator === false ? undefined : stats.generator.period();
    void readHealth(options.healthUrl).then((health) => {
      if (!running) return;
      const attempts = stats.attempted - lastAttempted;
      const errorRate = attempts > 0 ? (stats.failed - lastFailed) / attempts : 0;
      lastAttempted = stats.attempted;
      lastFailed = stats.failed;
      const decision = decideBalance({ health, errorRate, target, min: options.min, max: options.max, generator });
      target = decision.target;
      // A hold because the generator is busy is recorded too: it explains a target that stopped growing.
      if ((decision.action !== 'hold' || decision.reason.startsWith('generator')) && realistic.decisions.length < 500) {
        realistic.decisions.push({ t: Math.round((Date.now() - startedAt) / 100) / 10, ...decision });
      }
    });
  }, scale(REALISTIC_RULES.healthIntervalMs));

  // The timeline gets its point every second whether or not anyone prints it (--quiet still reports).
  const progressTimer = setInterval(() => {
    const point = stats.tick(desiredConnections(target, simulatedNow(), options.min, options.max));
    options.onProgress?.(point, stats);
  }, 1000);

  await new Promise<void>((resolve) => {
    // Wall-clock: the run lasts what the user asked for; the time scale only speeds up the simulated day.
    const end = setTimeout(resolve, options.durationMs);
    options.signal?.addEventListener('abort', () => {
      clearTimeout(end);
      resolve();
    });
  });
  running = false;
  clearInterval(rampTimer);
  clearInterval(balanceTimer);
  clearInterval(progressTimer);
  for (const t of timers) clearTimeout(t);
  stats.tick(target);
  const openAtEnd = stats.open;
  await closeAll([...traders].map((t) => t.client));
  realistic.finalTarget = target;
  return { ...summarize(stats, 'realistic', options.url, options.target, openAtEnd), realistic };
}

async function readHealth(url: string): Promise<HealthSnapshot | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    // 503 still carries the report: an unhealthy gateway says why.
    return (await res.json()) as HealthSnapshot;
  } catch {
    return undefined;
  }
}

/** http://host:port/health for a ws://host:port/... gateway URL. */
export function healthUrlFor(wsUrl: string): string {
  const u = new URL(wsUrl);
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
  u.pathname = '/health';
  u.search = '';
  return u.toString();
}
