// Continuity, the one rule every client of Odin applies (docs/protocol.md,
// "Positions"): on each channel, a message's `prev` must be the `seq` of the
// last message seen there in the same epoch. Shared by the SDK, the load
// tool's gap detector and the test client, so they never disagree.

/** What a message is, relative to the last one seen on its channel. */
export type Continuity =
  /** the first message seen on the channel */
  | 'first'
  /** prev links to the last seq seen */
  | 'next'
  /** prev is 0 ("unknown", the server could not tell): cannot be verified, not a sign of loss */
  | 'unverified'
  /** seq at or below the last seen: already delivered */
  | 'duplicate'
  /** prev names a message that was never seen, but the message declares `skipped` > 0 (conflation): a declared skip, not a loss */
  | 'skipped'
  /** prev names a message that was never seen: loss */
  | 'gap'
  /** another epoch: a new history, continuity restarts */
  | 'epoch';

export interface LastSeen {
  seq: number;
  epoch: string;
}

export interface Positioned {
  seq: number;
  prev: number;
  epoch: string;
  /** Set on conflated messages: how many earlier messages of the channel this one stands for. */
  skipped?: number;
}

export function classify(last: LastSeen | undefined, m: Positioned): Continuity {
  if (!last) return 'first';
  if (last.epoch !== m.epoch) return 'epoch';
  if (m.seq <= last.seq) return 'duplicate';
  if (m.prev === last.seq) return 'next';
  if (m.skipped !== undefined && m.skipped > 0) return 'skipped';
  return m.prev === 0 ? 'unverified' : 'gap';
}

/**
 * The verdict, the same in every client (docs/protocol.md, "Continuity"):
 * `ok` deliver; `unverified` deliver, nothing lost as far as anyone can tell;
 * `duplicate` already delivered, drop it; `gap` messages may be missing: a
 * `prev` naming a message never seen, or another epoch arriving without a
 * resync (`recovered: false`) first, since nothing proves the old history's
 * tail was seen.
 */
export type Verdict = 'ok' | 'unverified' | 'duplicate' | 'gap';

export function verdictOf(c: Continuity): Verdict {
  switch (c) {
    case 'first':
    case 'next':
    case 'skipped':
      return 'ok';
    case 'unverified':
      return 'unverified';
    case 'duplicate':
      return 'duplicate';
    case 'gap':
    case 'epoch':
      return 'gap';
  }
}

/** True for the outcomes after which the message is recorded as the channel's last. */
export function advances(c: Continuity): boolean {
  return c !== 'duplicate';
}
