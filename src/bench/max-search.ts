// Finding the maximum sustained delivery rate: offer a rate, measure, and
// step up geometrically while the system keeps up; after the first failure,
// bisect (geometrically) between the last pass and the failure. Pure logic,
// so the stepping is unit-tested apart from any server.

export interface StepResult {
  /** Deliveries per second offered (publish rate x subscribers per channel). */
  offered: number;
  /** Deliveries per second measured at the clients. */
  delivered: number;
  p99Ms: number;
  /** Connections the server closed during the step. */
  closes: number;
}

export const SUSTAINED = {
  /** At least this share of the offered deliveries must arrive within the window. */
  minDeliveredShare: 0.95,
  /** A p99 above this means a queue is growing somewhere: not sustained. */
  maxP99Ms: 200,
} as const;

export function isSustained(step: StepResult): boolean {
  return step.delivered >= step.offered * SUSTAINED.minDeliveredShare && step.p99Ms <= SUSTAINED.maxP99Ms && step.closes === 0;
}

export class MaxSearch {
  readonly steps: Array<StepResult & { sustained: boolean }> = [];
  private lastPass: StepResult | undefined;
  private firstFail: number | undefined;
  private refinementsLeft: number;
  private downStepsLeft = 4;
  private nextOffer: number | undefined;

  constructor(
    start: number,
    private readonly factor: number,
    refinements: number,
    private readonly ceiling: number,
  ) {
    this.nextOffer = start;
    this.refinementsLeft = refinements;
  }

  /** The next rate to offer, or undefined when the search is over. */
  next(): number | undefined {
    return this.nextOffer;
  }

  record(step: StepResult): void {
    const sustained = isSustained(step);
    this.steps.push({ ...step, sustained });
    if (sustained) {
      if (!this.lastPass || step.offered > this.lastPass.offered) this.lastPass = step;
      if (this.firstFail === undefined) {
        const up = step.offered * this.factor;
        this.nextOffer = up <= this.ceiling ? up : undefined;
        return;
      }
    } else if (this.firstFail === undefined || step.offered < this.firstFail) {
      this.firstFail = step.offered;
    }
    if (!this.lastPass) {
      // Failing from the start: step down to find any sustained rate.
      this.nextOffer = this.downStepsLeft-- > 0 ? step.offered / this.factor : undefined;
      return;
    }
    if (this.refinementsLeft-- > 0 && this.firstFail !== undefined) {
      const between = Math.sqrt(this.lastPass.offered * this.firstFail);
      this.nextOffer = between > this.lastPass.offered * 1.05 ? between : undefined;
    } else {
      this.nextOffer = undefined;
    }
  }

  /** The highest delivery rate measured in a sustained step (0 when none was). */
  get best(): number {
    let best = 0;
    for (const s of this.steps) if (s.sustained && s.delivered > best) best = s.delivered;
    return best;
  }
}
