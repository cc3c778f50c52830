// Loss detection from positions (docs/protocol.md "Positions"): on each
// channel, a message's `prev` must equal the seq of the last message seen.
// One detector per simulated client; it outlives the client's connections, so
// a resume that skips or repeats a message is caught across reconnects.

export interface GapEvent {
  channel: string;
  expectedPrev: number;
  prev: number;
  seq: number;
}

export type Continuity = 'ok' | 'gap' | 'duplicate';

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

  /** Checks one data message: 'ok', or the continuity break it reveals. */
  observe(channel: string, seq: number, prev: number, epoch?: string): Continuity {
    const last = this.lastSeq.get(channel);
    if (epoch !== undefined) {
      const known = this.epochs.get(channel);
      this.epochs.set(channel, epoch);
      if (known !== undefined && known !== epoch) {
        // A new epoch is a new history (the server says so with recovered:false): restart continuity.
        this.lastSeq.set(channel, seq);
        return 'ok';
      }
    }
    if (last !== undefined && seq <= last) {
      this.duplicates++;
      return 'duplicate';
    }
    this.lastSeq.set(channel, seq);
    if (last !== undefined && prev !== last) {
      this.gaps++;
      if (this.examples.length < 10) this.examples.push({ channel, expectedPrev: last, prev, seq });
      return 'gap';
    }
    return 'ok';
  }

  /** Forgets a channel, e.g. after `recovered:false`, when the client knowingly resyncs. */
  reset(channel: string): void {
    this.lastSeq.delete(channel);
  }

  /** The resume position for a channel: where a `since` should start. */
  position(channel: string): { seq: number; epoch: string } | undefined {
    const seq = this.lastSeq.get(channel);
    const epoch = this.epochs.get(channel);
    return seq !== undefined && epoch !== undefined ? { seq, epoch } : undefined;
  }
}
