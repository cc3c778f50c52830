// Samples CPU, memory and event-loop utilisation on one shared timer, for
// /health and the gauges. (The reference reported CPU as always 0.)
import { availableParallelism } from 'node:os';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

export interface ResourceSample {
  cpuPercent: number;
  rssBytes: number;
  eventLoopUtilization: number;
}

export class ResourceSampler {
  private lastCpu = process.cpuUsage();
  private lastTime = performance.now();
  private lastElu: EventLoopUtilization = performance.eventLoopUtilization();
  private timer: NodeJS.Timeout | undefined;
  private readonly cores = availableParallelism();
  current: ResourceSample = { cpuPercent: 0, rssBytes: process.memoryUsage.rss(), eventLoopUtilization: 0 };

  start(intervalMs: number, onSample: (s: ResourceSample) => void): void {
    this.timer = setInterval(() => onSample(this.sample()), intervalMs);
    this.timer.unref();
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
      rssBytes: process.memoryUsage.rss(),
      eventLoopUtilization: Math.round(elu.utilization * 1000) / 1000,
    };
    return this.current;
  }
}
