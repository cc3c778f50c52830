// Failures a test injects into the NATS broker where real ones cannot be
// provoked on demand: a slow JetStream API that fails a consumer creation
// (the case the recovery supervisor must survive), and a live consumer that
// stops handing over messages while its heartbeats go on (the case the lag
// watchdog must notice). Production code never sets these; with no
// NatsFaults given, every check below is a no-op.

export class NatsFaultError extends Error {
  override name = 'NatsFaultError';
}

export class NatsFaults {
  /** The next N starts of a live consumer's seeding pass (a new stream's first consumer) throw, as a timed-out JetStream request would. */
  failLiveStarts = 0;
  /** While set, every live consumer that receives a message stops handing messages over, for good (its heartbeats go on). Consumers created after it is cleared are unaffected. */
  wedgeConsumers = false;

  /** Throws (and counts down) while creations are set to fail. */
  beforeLiveStart(): void {
    if (this.failLiveStarts <= 0) return;
    this.failLiveStarts--;
    throw new NatsFaultError('injected failure: live consumer creation timed out');
  }

  /** Does a consumer receiving a message now get wedged? */
  wedgesNow(): boolean {
    return this.wedgeConsumers;
  }
}
