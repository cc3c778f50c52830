// Conflated subscriptions (docs/protocol.md, "Conflation"), beside the live
// fan-out hub and apart from it: a conflated subscription is never in the
// SubscriptionHub, so subscribers without `conflate` pay nothing for it.
// Groups are keyed by pattern and bucket; each bucket has one interval timer
// (running only while the bucket has groups) that ticks all its groups.
import type { BrokerMessage } from '../../broker/broker.js';
import { channelMatches } from '@odin-gateway/client/channels';
import type { TimerErrorHandler } from '../guarded-timer.js';
import { guardedInterval } from '../guarded-timer.js';
import type { SubscriptionHub } from '../subscription-hub.js';
import type { Subscription } from '../subscription.js';
import { ConflationGroup, type ConflationTick } from './conflation-group.js';

/** What the conflation hub reports, once per bucket tick. */
export interface ConflationObserver {
  conflationTicked(intervalMs: number, tick: ConflationTick): void;
}

interface Bucket {
  readonly groups: Set<ConflationGroup>;
  timer: NodeJS.Timeout | undefined;
}

export class ConflationHub {
  private readonly groups = new Map<string, ConflationGroup>();
  private readonly exact = new Map<string, ConflationGroup[]>();
  private readonly wildcards = new Set<ConflationGroup>();
  /** Wildcard groups matching a channel, rebuilt lazily when the set of wildcard groups changes. */
  private wildcardCache = new Map<string, ConflationGroup[]>();
  private readonly buckets = new Map<number, Bucket>();
  /** The group each conflated subscription is in. */
  private readonly groupOf = new Map<Subscription, ConflationGroup>();

  constructor(
    private readonly hub: SubscriptionHub,
    private readonly observer: ConflationObserver,
    private readonly onTimerError: TimerErrorHandler,
  ) {}

  get subscriptions(): number {
    return this.groupOf.size;
  }

  /** Registers a conflated subscription being set up (sub.conflate is its bucket); live messages are held in it until goLive. */
  add(sub: Subscription): void {
    this.groupFor(sub).pending.add(sub);
  }

  /** The end of set-up: the held messages newer than `seam` wait for the next tick. */
  goLive(sub: Subscription, seam: number): void {
    const group = this.groupOf.get(sub);
    if (!group) return;
    group.join(sub, sub.goLive(seam));
  }

  /** Adopts a live subscription (the slow-client policy's switch) with the messages it was not sent. */
  adoptLive(sub: Subscription, unsent: readonly BrokerMessage[]): void {
    this.groupFor(sub).join(sub, unsent);
  }

  remove(sub: Subscription): void {
    const group = this.groupOf.get(sub);
    if (!group) return;
    this.groupOf.delete(sub);
    group.remove(sub);
    if (group.size === 0) this.dropGroup(group);
  }

  publish(m: BrokerMessage): void {
    if (this.groupOf.size === 0) return;
    const exact = this.exact.get(m.channel);
    if (exact) for (const group of exact) group.publish(m);
    if (this.wildcards.size > 0) for (const group of this.wildcardsFor(m.channel)) group.publish(m);
  }

  stop(): void {
    for (const bucket of this.buckets.values()) clearInterval(bucket.timer);
    this.buckets.clear();
  }

  private groupFor(sub: Subscription): ConflationGroup {
    const key = `${sub.conflate} ${sub.pattern}`;
    let group = this.groups.get(key);
    if (!group) {
      group = new ConflationGroup(sub.pattern, sub.wildcard, sub.conflate);
      this.groups.set(key, group);
      if (group.wildcard) {
        this.wildcards.add(group);
        this.wildcardCache = new Map();
      } else {
        const list = this.exact.get(group.pattern);
        if (list) list.push(group);
        else this.exact.set(group.pattern, [group]);
      }
      this.bucketOf(group.intervalMs).groups.add(group);
    }
    this.groupOf.set(sub, group);
    return group;
  }

  private dropGroup(group: ConflationGroup): void {
    this.groups.delete(`${group.intervalMs} ${group.pattern}`);
    if (group.wildcard) {
      this.wildcards.delete(group);
      this.wildcardCache = new Map();
    } else {
      const list = this.exact.get(group.pattern)?.filter((g) => g !== group) ?? [];
      if (list.length > 0) this.exact.set(group.pattern, list);
      else this.exact.delete(group.pattern);
    }
    const bucket = this.buckets.get(group.intervalMs);
    if (!bucket) return;
    bucket.groups.delete(group);
    if (bucket.groups.size === 0) {
      clearInterval(bucket.timer);
      this.buckets.delete(group.intervalMs);
    }
  }

  private bucketOf(intervalMs: number): Bucket {
    let bucket = this.buckets.get(intervalMs);
    if (!bucket) {
      const created: Bucket = { groups: new Set(), timer: undefined };
      created.timer = guardedInterval('conflation', intervalMs, () => this.tick(intervalMs, created), this.onTimerError);
      this.buckets.set(intervalMs, (bucket = created));
    }
    return bucket;
  }

  private tick(intervalMs: number, bucket: Bucket): void {
    const report: ConflationTick = { messages: 0, skipped: 0, frames: 0, bytes: 0 };
    for (const group of bucket.groups) group.tick(this.hub, report);
    this.observer.conflationTicked(intervalMs, report);
  }

  private wildcardsFor(channel: string): ConflationGroup[] {
    let list = this.wildcardCache.get(channel);
    if (!list) {
      list = [];
      for (const group of this.wildcards) if (channelMatches(group.pattern, channel)) list.push(group);
      this.wildcardCache.set(channel, list);
    }
    return list;
  }
}
