// A connection's subscriptions, by pattern. Most connections hold one to a
// handful, so a small array beats a Map: a Map's hash table costs about
// 600 bytes per connection even with one entry, and lookups happen only on
// subscribe/unsubscribe, never on the delivery path.
import type { Subscription } from './subscription.js';

export class SubscriptionList {
  private items: Subscription[] = [];

  get size(): number {
    return this.items.length;
  }

  get(pattern: string): Subscription | undefined {
    for (const s of this.items) if (s.pattern === pattern) return s;
    return undefined;
  }

  /** Adds `sub`, replacing a subscription with the same pattern. */
  set(sub: Subscription): void {
    const i = this.items.findIndex((s) => s.pattern === sub.pattern);
    if (i >= 0) this.items[i] = sub;
    else this.items.push(sub);
  }

  delete(pattern: string): boolean {
    const i = this.items.findIndex((s) => s.pattern === pattern);
    if (i < 0) return false;
    this.items.splice(i, 1);
    return true;
  }

  values(): readonly Subscription[] {
    return this.items;
  }

  clear(): void {
    this.items = [];
  }
}
