// One server-side subscription of the client: a channel or pattern, the app's
// handlers for it, and the position to resume from after a reconnect.
import type { DataMessage, Position, SubscribeEntry } from '../protocol/messages.js';
import { channelMatches } from '../protocol/channels.js';

export type MessageHandler<T = unknown> = (data: T, message: DataMessage<T>) => void;

export interface SubscribeResult {
  channel: string;
  /** Present on resumes: true = nothing was lost; false = history was gone, the latest values follow. */
  recovered?: boolean;
  replayed: number;
  /** True when this answer came after a reconnect. */
  resumed: boolean;
  position: Position;
}

export type SubscriptionPhase = 'queued' | 'pending' | 'active';

export class ClientSubscription {
  readonly handlers = new Set<MessageHandler>();
  /** Where to resume from: the newest position delivered to the app, or the seam of the last `subscribed`. */
  position: Position | undefined;
  phase: SubscriptionPhase = 'queued';
  /** Id of the subscribe request whose answer is awaited. */
  requestId: number | undefined;
  /** True while a subscribe with `since` is awaiting its answer: matching messages wait in `held`. */
  resuming = false;
  held: DataMessage[] = [];
  /** Answered at least once (so a later answer is a resume). */
  answered = false;
  private settle: { resolve(r: SubscribeResult): void; reject(e: Error): void } | undefined;
  readonly ready: Promise<SubscribeResult>;

  constructor(
    readonly channel: string,
    readonly latest: boolean,
    /** Book channels: levels per side asked for (undefined: the server's default). */
    readonly depth?: number,
    /** The conflation interval asked for (ms), if any. */
    readonly conflate?: number,
  ) {
    this.ready = new Promise<SubscribeResult>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    // A failed subscription the app never awaited must not become an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  matches(channel: string): boolean {
    return channelMatches(this.channel, channel);
  }

  /** The entry to send: resume from the position when one is known. */
  entry(): string | SubscribeEntry {
    const extra = { ...(this.depth !== undefined ? { depth: this.depth } : {}), ...(this.conflate !== undefined ? { conflate: this.conflate } : {}) };
    if (this.position) return { channel: this.channel, since: this.position, ...extra };
    if (this.latest) return { channel: this.channel, latest: true, ...extra };
    return Object.keys(extra).length > 0 ? { channel: this.channel, ...extra } : this.channel;
  }

  /** Moves the resume position forward (never back within an epoch). */
  advance(position: Position): void {
    if (!this.position || this.position.epoch !== position.epoch || position.seq > this.position.seq) {
      this.position = { seq: position.seq, epoch: position.epoch };
    }
  }

  resolved(result: SubscribeResult): void {
    this.settle?.resolve(result);
    this.settle = undefined;
  }

  failed(error: Error): void {
    this.settle?.reject(error);
    this.settle = undefined;
  }
}
