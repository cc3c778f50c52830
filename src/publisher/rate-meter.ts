// Measures the rate actually achieved, over a sliding window of samples, so
// /stats reports what happened and not only what was asked for.

interface Sample {
  at: number;
  count: number;
}

export class RateMeter {
  private samples: Sample[] = [];

  constructor(private readonly windowMs = 5000) {}

  /** Records the running total `count` at time `at` (ms). */
  sample(count: number, at: number): void {
    this.samples.push({ at, count });
    const horizon = at - this.windowMs;
    // Keep one sample at or before the horizon so the window is always full.
    while (this.samples.length > 2 && this.samples[1]!.at <= horizon) this.samples.shift();
  }

  /** Messages per second over the window; 0 until two samples exist. */
  rate(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at <= first.at) return 0;
    return ((last.count - first.count) * 1000) / (last.at - first.at);
  }

  clear(): void {
    this.samples = [];
  }
}
