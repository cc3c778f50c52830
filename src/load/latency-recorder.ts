// Publish-to-receive latency, kept in an HDR histogram (microseconds, 3
// significant digits): constant memory and cost per value however long the run,
// and exact enough at p99.9 for the targets we check.
import * as hdr from 'hdr-histogram-js';

/** Latencies are clamped into this range; a minute late is "a minute or more". */
const MAX_TRACKABLE_US = 60_000_000;

export interface LatencyPercentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export class LatencyRecorder {
  private readonly histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: MAX_TRACKABLE_US, numberOfSignificantValueDigits: 3 });

  /** Records one latency in milliseconds (fractions allowed; negatives from clock skew count as 0). */
  recordMs(ms: number): void {
    const us = Math.round(ms * 1000);
    this.histogram.recordValue(us < 1 ? 1 : us > MAX_TRACKABLE_US ? MAX_TRACKABLE_US : us);
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** Adds every value of `other` (e.g. a per-second window into the total). */
  add(other: LatencyRecorder): void {
    this.histogram.add(other.histogram);
  }

  reset(): void {
    this.histogram.reset();
  }

  /** A compact text form, to move a histogram between threads or processes. */
  encode(): string {
    return hdr.encodeIntoCompressedBase64(this.histogram);
  }

  /** Adds the values of an `encode()`d histogram. */
  addEncoded(encoded: string): void {
    this.histogram.add(hdr.decodeFromCompressedBase64(encoded));
  }

  /** Percentiles in milliseconds, rounded to microseconds; all 0 when empty. */
  percentiles(): LatencyPercentiles {
    const h = this.histogram;
    if (h.totalCount === 0) return { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
    const ms = (us: number): number => Math.round(us) / 1000;
    // HDR answers a percentile with the top of its bucket, which can lie above the largest value
    // recorded (a p99 printed above the max): every percentile is capped at the max, from the same histogram.
    const at = (p: number): number => ms(Math.min(h.getValueAtPercentile(p), h.maxValue));
    return {
      count: h.totalCount,
      p50: at(50),
      p90: at(90),
      p99: at(99),
      p999: at(99.9),
      max: ms(h.maxValue),
      mean: ms(h.mean),
    };
  }
}

/** Wall-clock now in ms with sub-millisecond precision, comparable across processes of one machine. */
export function preciseNowMs(): number {
  return performance.timeOrigin + performance.now();
}
