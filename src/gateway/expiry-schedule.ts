// Token expiry for every connection with one timer: a min-heap of
// connections keyed by the time their token runs out, and a single timeout
// armed for the earliest. A connection sits in the heap at most once (the
// schedule keeps its index, the only writer of it), so a refresh moves it and
// a close removes it in O(log n), and closed connections are never retained. Precision: the
// timeout fires when Node's timers do, a few ms after the deadline.
import type { ClientConnection } from './client-connection.js';

/** setTimeout's largest delay (about 24.8 days); later deadlines re-arm on the way. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export interface Expiring {
  /** When the connection must close, ms since the epoch; 0 = never. */
  readonly closeAt: number;
}

export class ExpirySchedule<T extends Expiring = ClientConnection> {
  private readonly heap: T[] = [];
  /** Each scheduled item's position in the heap. */
  private readonly positions = new Map<T, number>();
  private timer: NodeJS.Timeout | undefined;
  private armedAt = Infinity;
  private stopped = false;

  constructor(
    private readonly onExpired: (item: T) => void,
    /** A throwing expiry is reported here and the schedule goes on (a timer must never throw out of the event loop). */
    private readonly onError: (timer: string, err: unknown) => void = () => undefined,
  ) {}

  get size(): number {
    return this.heap.length;
  }

  /** Schedules (or moves) `item` to its current `closeAt`; 0 removes it. */
  set(item: T): void {
    if (item.closeAt <= 0) return this.remove(item);
    let i = this.positions.get(item);
    if (i === undefined) {
      i = this.heap.length;
      this.positions.set(item, i);
      this.heap.push(item);
    }
    this.down(this.up(i));
    this.arm();
  }

  remove(item: T): void {
    const i = this.positions.get(item);
    if (i === undefined) return;
    this.positions.delete(item);
    const last = this.heap.pop()!;
    if (i < this.heap.length) {
      this.heap[i] = last;
      this.positions.set(last, i);
      this.down(this.up(i));
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.armedAt = Infinity;
    const now = Date.now();
    while (this.heap.length > 0 && this.heap[0]!.closeAt <= now) {
      const item = this.heap[0]!;
      this.remove(item);
      try {
        this.onExpired(item);
      } catch (err) {
        this.onError('token_expiry', err);
      }
    }
    this.arm();
  };

  private arm(): void {
    if (this.stopped || this.heap.length === 0) return;
    const next = this.heap[0]!.closeAt;
    if (this.timer && next >= this.armedAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.armedAt = next;
    this.timer = setTimeout(this.fire, Math.min(MAX_DELAY_MS, Math.max(0, next - Date.now())));
    this.timer.unref();
  }

  /** Moves the item at `i` up to its place; returns where it ended. */
  private up(i: number): number {
    const h = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.closeAt <= h[i]!.closeAt) return i;
      this.swap(i, parent);
      i = parent;
    }
    return i;
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let min = i;
      if (l < h.length && h[l]!.closeAt < h[min]!.closeAt) min = l;
      if (r < h.length && h[r]!.closeAt < h[min]!.closeAt) min = r;
      if (min === i) return;
      this.swap(i, min);
      i = min;
    }
  }

  private swap(a: number, b: number): void {
    const h = this.heap;
    const x = h[a]!;
    const y = h[b]!;
    h[a] = y;
    h[b] = x;
    this.positions.set(y, a);
    this.positions.set(x, b);
  }
}
