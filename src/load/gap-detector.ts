// Loss detection from positions (docs/protocol.md "Positions"), by the shared
// continuity rule (packages/client/src/protocol/continuity.ts) that the SDK and the test client
// apply too. One detector per simulated client; it outlives the client's
// connections, so a resume that skips or repeats a message is caught across
// reconnects.
import { advances, classify, verdictOf, type Verdict } from '@odin-gateway/client/continuity';

export interface GapEvent {
  channel: string;
  expectedPrev: number;
  prev: number;
  seq: number;
}

export class GapDetector {
  /** Last seq seen per channel. */
  readonly lastSeq = new Map<string, number>();
  /** The epoch the positions belong to, per channel. */
  readonly epochs = new Map<string, string>();
  gaps = 0;
  /** Messages with seq <= the last seen: a duplicate at a resume seam. */
  duplicates = 0;
  /** The first few gaps, for the report. */
  readonly examples: GapEvent[] = [];

  /** Messages whose prev was 0 after an earlier one: they cannot be verified (not a loss). */
  unverified = 0;

  /** Checks one data message: the SDK's verdict (an epoch change without a reset is a gap, as there). */
  observe(channel: string, seq: number, prev: number, epoch: string, skipped?: number): Verdict {
    const lastSeq = this.lastSeq.get(channel);
    const lastEpoch = this.epochs.get(channel);
    const last = lastSeq !== undefined && lastEpoch !== undefined ? { seq: lastSeq, epoch: lastEpoch } : undefined;
    const c = classify(last, { seq, prev, epoch, ...(skipped !== undefined ? { skipped } : {}) });
    if (advances(c)) {
      this.lastSeq.set(channel, seq);
      this.epochs.set(channel, epoch);
    }
    const verdict = verdictOf(c);
    if (verdict === 'duplicate') this.duplicates++;
    else if (verdict === 'unverified') this.unverified++;
    else if (verdict === 'gap') {
      this.gaps++;
      if (this.examples.length < 10) this.examples.push({ channel, expectedPrev: lastSeq!, prev, seq });
    }
    return verdict;
  }

  /** Forgets a channel, e.g. after `recovered:false`, when the client knowingly resyncs. */
  reset(channel: string): void {
    this.lastSeq.delete(channel);
    this.epochs.delete(channel);
  }

  /** Forgets every channel `select` accepts (a pattern's channels after its `recovered:false`). */
  resetMatching(select: (channel: string) => boolean): void {
    for (const channel of [...this.lastSeq.keys()]) if (select(channel)) this.reset(channel);
  }

  /** The resume position for a channel: where a `since` should start. */
  position(channel: string): { seq: number; epoch: string } | undefined {
    const seq = this.lastSeq.get(channel);
    const epoch = this.epochs.get(channel);
    return seq !== undefined && epoch !== undefined ? { seq, epoch } : undefined;
  }
}
