// Samples CPU, memory and event-loop utilisation on one shared timer, for
// /health and the gauges. (The reference reported CPU as always 0.)
// Reading the RSS opens /proc/self/stat, which fails with EMFILE when the
// process is out of file descriptors: a failed reading keeps the last value.
import { availableParallelism } from 'node:os';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { guardedInterval, type TimerErrorHandler } from './guarded-timer.js';

export interface ResourceSample {
  cpuPercent: number;
  rssBytes: number;
  eventLoopUtilization: number;
}

/** The resident set size, or `fallback` when it cannot be read (EMFILE). */
function residentSetSize(fallback: number): number {
  try {
    return process.memoryUsage.rss();
  } catch {
    return fallback;
  }
}

export class ResourceSampler {
  private lastCpu = process.cpuUsage();
  private lastTime = performance.now();
  private lastElu: EventLoopUtilization = performance.eventLoopUtilization();
  private timer: NodeJS.Timeout | undefined;
  private readonly cores = availableParallelism();
  current: ResourceSample = { cpuPercent: 0, rssBytes: residentSetSize(0), eventLoopUtilization: 0 };

  start(intervalMs: number, onSample: (s: ResourceSample) => void, onError: TimerErrorHandler): void {
    this.timer = guardedInterval('resource_sampler', intervalMs, () => onSample(this.sample()), onError);
    onSample(this.current);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  sample(): ResourceSample {
    const now = performance.now();
    const cpu = process.cpuUsage(this.lastCpu);
    const elapsedMs = now - this.lastTime;
    const elu = performance.eventLoopUtilization(this.lastElu);
    this.lastCpu = process.cpuUsage();
    this.lastTime = now;
    this.lastElu = performance.eventLoopUtilization();
    const cpuPercent = elapsedMs > 0 ? ((cpu.user + cpu.system) / 1000 / elapsedMs / this.cores) * 100 : 0;
    this.current = {
      cpuPercent: Math.round(cpuPercent * 10) / 10,
      rssBytes: residentSetSize(this.current.rssBytes),
      eventLoopUtilization: Math.round(elu.utilization * 1000) / 1000,
    };
    return this.current;
  }
}
