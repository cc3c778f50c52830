// Limits how fast one remote address may open connections: a token bucket
// per address, forgotten once it has refilled. Off by default, because behind
// a proxy or load balancer every client shares the proxy's address.
import { TokenBucket } from './token-bucket.js';

/** Past this many tracked addresses (a spray from many sources) the table is dropped: fail open, bounded memory. */
const MAX_TRACKED_ADDRESSES = 100_000;

export class ConnectionRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  /** Connections refused so far, for sampling log lines. */
  refused = 0;

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
  ) {}

  get enabled(): boolean {
    return this.perSecond > 0;
  }

  allow(address: string, now = Date.now()): boolean {
    if (!this.enabled) return true;
    let bucket = this.buckets.get(address);
    if (!bucket) {
      if (this.buckets.size >= MAX_TRACKED_ADDRESSES) this.buckets.clear();
      bucket = new TokenBucket(this.burst, this.perSecond, now);
      this.buckets.set(address, bucket);
    }
    if (bucket.take(now)) return true;
    this.refused++;
    return false;
  }

  /** Forgets addresses whose bucket is full again; called from the keepalive sweep. */
  prune(now = Date.now()): void {
    for (const [address, bucket] of this.buckets) if (bucket.isFull(now)) this.buckets.delete(address);
  }
}
