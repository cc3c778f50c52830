// Turns "N messages per second" into "send k messages now" on a coarse timer.
// The rate is spread over the elapsed time with a fractional carry, so 1 msg/s
// and 50,000 msg/s both come out right without a timer per message, and a late
// timer catches up (up to a bound) instead of silently lowering the rate.

/** Never catch up more than this much time at once: a paused process must not burst. */
const MAX_CATCH_UP_MS = 1000;

export class RatePacer {
  private carry = 0;
  private last = 0;

  constructor(private perSecond: number) {}

  get rate(): number {
    return this.perSecond;
  }

  /**
   * Starts counting from `now`. The first message is due at once, so that a
   * slow rate (1 msg/s) shows something immediately.
   */
  reset(now: number, firstAtOnce = true): void {
    this.last = now;
    this.carry = firstAtOnce && this.perSecond > 0 ? 1 : 0;
  }

  /** Changes the rate from now on; what was already due at the old rate is dropped. */
  retime(perSecond: number, now: number): void {
    this.perSecond = perSecond;
    this.last = now;
    this.carry = Math.min(this.carry, 1);
  }

  /** How many messages are due at `now`. */
  due(now: number): number {
    const elapsed = Math.min(Math.max(now - this.last, 0), MAX_CATCH_UP_MS);
    this.last = now;
    this.carry += (this.perSecond * elapsed) / 1000;
    const whole = Math.floor(this.carry);
    this.carry -= whole;
    return whole;
  }

  /** Gives back messages that were due but could not be sent (bounded to one second's worth). */
  giveBack(count: number): void {
    this.carry = Math.min(this.carry + count, Math.max(this.perSecond, 1));
  }
}
