// How busy `odin load` itself is: its event-loop delay (sampled into perf_hooks
// histograms) and utilization (performance.eventLoopUtilization). A starved
// generator reads its sockets late, so the latency it measures includes its
// own queueing: a run at 1,000 msg/s on a 2-core box once reported a p99 of
// 18-22 s that was the generator, not the gateway. The delay also shows a
// machine too busy to schedule the generator (timers fire late), which
// utilization alone would not. The balancer does not grow a busy generator's
// population, and latency taken in its busy seconds is flagged ("generator
// busy", as `odin bench` reports it).
import { createHistogram, performance, type EventLoopUtilization, type RecordableHistogram } from 'node:perf_hooks';

export const GENERATOR_RULES = {
  /** A period with the event loop busy this share of the time or more is busy. */
  busyUtilization: 0.9,
  /** ... or with an event-loop delay p99 at least this (ms): timers and socket reads that late. */
  busyDelayMs: 100,
  /** A generator this late (delay p99, ms) sheds connections instead of only not growing. */
  overloadDelayMs: 1000,
  /** How often the delay is sampled, ms. */
  resolutionMs: 10,
  /** The balancer judges the generator over at least this long: one slow callback in a 50 ms period is not a busy generator. */
  minPeriodMs: 1000,
} as const;

/** The generator's own figures over one period (a second, a balancing period, the run). */
export interface GeneratorFigures {
  /** Share of the period the event loop was busy, 0..1. */
  utilization: number;
  /** Event-loop delay percentiles, ms: how late a timer or a socket read ran. */
  delayP50Ms: number;
  delayP99Ms: number;
  delayMaxMs: number;
}

export function isGeneratorBusy(f: GeneratorFigures): boolean {
  return f.utilization >= GENERATOR_RULES.busyUtilization || f.delayP99Ms >= GENERATOR_RULES.busyDelayMs;
}

export function isGeneratorOverloaded(f: GeneratorFigures): boolean {
  return f.delayP99Ms >= GENERATOR_RULES.overloadDelayMs;
}

export function describeGenerator(f: GeneratorFigures): string {
  return `event loop busy ${Math.round(f.utilization * 100)}%, delay p99 ${f.delayP99Ms} ms`;
}

const round = (ms: number): number => Math.round(ms * 10) / 10;

/** One period's measurement: taken and restarted by `take()`. */
class LoopWindow {
  /** How late each delay sample ran, ns (a histogram counts from 1). */
  readonly delay: RecordableHistogram = createHistogram();
  private elu: EventLoopUtilization = performance.eventLoopUtilization();
  private startedAt = performance.now();
  private last: GeneratorFigures | undefined;

  /** The window's figures, restarting it; when it is younger than `minMs`, the previous window's (undefined before the first). */
  takeAtLeast(minMs: number): GeneratorFigures | undefined {
    if (performance.now() - this.startedAt < minMs) return this.last;
    return (this.last = this.take());
  }

  take(): GeneratorFigures {
    const h = this.delay;
    const ms = (ns: number): number => (h.count > 0 && Number.isFinite(ns) ? round(Math.max(0, ns - 1) / 1e6) : 0);
    const figures = {
      utilization: Math.round(performance.eventLoopUtilization(this.elu).utilization * 1000) / 1000,
      delayP50Ms: ms(h.percentile(50)),
      delayP99Ms: ms(h.percentile(99)),
      delayMaxMs: ms(h.max),
    };
    h.reset();
    this.elu = performance.eventLoopUtilization();
    this.startedAt = performance.now();
    return figures;
  }
}

/**
 * Samples the event-loop delay itself (a timer every `resolutionMs`: how much
 * later than due it ran) into every window. Not monitorEventLoopDelay: reset
 * after each reading, it drops the interval that follows, so a stall right
 * after a reading (the second's tick, where work piles up) went unseen.
 */
class DelaySampler {
  private due = performance.now() + GENERATOR_RULES.resolutionMs;
  private readonly timer: NodeJS.Timeout;

  constructor(windows: readonly LoopWindow[]) {
    this.timer = setInterval(() => {
      const now = performance.now();
      const lateNs = Math.round(Math.max(0, now - this.due) * 1e6) + 1;
      for (const w of windows) w.delay.record(lateNs);
      this.due = now + GENERATOR_RULES.resolutionMs;
    }, GENERATOR_RULES.resolutionMs);
    // Measuring never keeps the process alive.
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** The generator's figures per second (timeline), per balancing period, and over the whole run. */
export class GeneratorMonitor {
  private readonly secondWindow = new LoopWindow();
  private readonly periodWindow = new LoopWindow();
  private readonly runWindow = new LoopWindow();
  private readonly sampler = new DelaySampler([this.secondWindow, this.periodWindow, this.runWindow]);

  /** Since the previous call: the timeline's second. */
  second(): GeneratorFigures {
    return this.secondWindow.take();
  }

  /**
   * The balancer's period: since the previous reading, or the previous
   * reading again while less than a second has passed (a scaled-down run
   * balances every 50 ms); undefined before the first second.
   */
  period(): GeneratorFigures | undefined {
    return this.periodWindow.takeAtLeast(GENERATOR_RULES.minPeriodMs);
  }

  /** The whole run so far; stops measuring. */
  finish(): GeneratorFigures {
    this.sampler.stop();
    return this.runWindow.take();
  }
}
