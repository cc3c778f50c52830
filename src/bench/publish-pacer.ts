// Publishes at a steady rate, round-robin over the channels, from one timer:
// every tick publishes what the elapsed time calls for (with a fractional
// carry), so 10 msg/s and 50,000 msg/s both come out right. Every system in
// the benchmark is driven by this same pacer, so they see the same pattern.
//
// The pacer runs inside some servers under test (Odin, ws-loop, socket.io)
// and in a publisher process beside others (nats-ws). So that both are
// measured alike, a tick that comes late (the server's event loop was busy)
// still publishes everything that fell due meanwhile, up to a second's worth,
// and stamps each message with the moment it was due, not the moment it left:
// a busy server pays for its stall in latency, as it would if the messages
// had waited in a socket from an outside publisher, and cannot shed offered
// load by starving its own pacer.
import { priceTick, type PriceTick } from './price-tick.js';

const TICK_MS = 2;
/** After a stall, publish at most this much time's worth at once (beyond it the owed messages are dropped: a shortfall). */
const MAX_CATCH_UP_MS = 1000;

export type PublishOne = (channel: string, tick: PriceTick) => void;

export class PublishPacer {
  published = 0;
  private timer: NodeJS.Timeout | undefined;
  private rate = 0;
  private channels: readonly string[] = [];
  private counters: number[] = [];
  private readonly burstCounters = new Map<string, number>();
  private next = 0;
  private last = 0;
  private carry = 0;

  constructor(private readonly publish: PublishOne) {}

  /** Sets the total rate over all channels (0 stops). */
  setRate(perSec: number, channels: readonly string[]): void {
    this.rate = perSec;
    if (channels !== this.channels) {
      this.channels = channels;
      if (this.counters.length !== channels.length) this.counters = channels.map(() => 0);
    }
    if (perSec <= 0) {
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    if (!this.timer) {
      this.last = performance.now();
      this.carry = 0;
      this.timer = setInterval(this.tick, TICK_MS);
    }
  }

  /** Messages published so far on each channel, in the order of the channels last set. */
  publishedPerChannel(): number[] {
    return [...this.counters];
  }

  /** Publishes `count` messages on one channel at once (resume, the scale broadcast); `n` continues from the channel's last burst. */
  burst(channel: string, count: number): void {
    let n = this.burstCounters.get(channel) ?? 0;
    for (let i = 0; i < count; i++) this.publish(channel, priceTick(channel, ++n));
    this.burstCounters.set(channel, n);
  }

  private readonly tick = (): void => {
    const now = performance.now();
    const elapsed = Math.min(MAX_CATCH_UP_MS, now - this.last);
    const intervalMs = 1000 / this.rate;
    // The first message owed fell due when the carry reached 1.
    let dueAt = now - elapsed + (1 - this.carry) * intervalMs;
    this.last = now;
    this.carry += (this.rate * elapsed) / 1000;
    const channels = this.channels;
    while (this.carry >= 1) {
      this.carry--;
      const i = this.next;
      this.next = (i + 1) % channels.length;
      const channel = channels[i]!;
      this.publish(channel, priceTick(tokenOf(channel), ++this.counters[i]!, performance.timeOrigin + Math.min(dueAt, now)));
      dueAt += intervalMs;
      this.published++;
    }
  };
}

/** token.T3.price -> T3 */
function tokenOf(channel: string): string {
  const a = channel.indexOf('.');
  const b = channel.lastIndexOf('.');
  return a >= 0 && b > a ? channel.slice(a + 1, b) : channel;
}
