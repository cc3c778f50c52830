// One subscription of one connection to a channel or a wildcard pattern, and
// the one owner of its lifecycle:
//
//   pending ──> replaying ──> live ──> closed
//      └───────────┴────────────────────┘ (unsubscribe, replace, disconnect)
//
// pending:   registered in the hub; history or latest value being read. Live
//            messages are held (counted in the connection's byte budget).
// replaying: the replay is being written under flow control; live messages
//            are still held.
// live:      held messages newer than the seam were written; the hub writes
//            batches directly.
// closed:    removed from the hub; nothing is written any more.
import type { BrokerMessage } from '../broker/broker.js';
import type { ClientConnection } from './client-connection.js';

export type SubscriptionState = 'pending' | 'replaying' | 'live' | 'closed';

export class Subscription {
  private phase: SubscriptionState = 'pending';
  /** Live messages that arrived before the subscription went live, oldest first. */
  private held: BrokerMessage[] = [];
  /** Their bytes, reserved in the connection writer's budget until released. */
  private heldBytes = 0;
  /** The newest seq this subscription has written (or covered by its seam): it only moves forward. */
  private writtenUpTo = 0;
  /** The conflation interval in ms (a bucket), 0 when not conflated. */
  private interval: number;

  constructor(
    readonly conn: ClientConnection,
    readonly pattern: string,
    readonly wildcard: boolean,
    /** The subscribe entry's conflation bucket in ms; 0 = live. */
    conflate = 0,
  ) {
    this.interval = conflate;
  }

  /** The newest seq written to the client (or covered by the seam): batches at or below it are not sent again. */
  get lastSeq(): number {
    return this.writtenUpTo;
  }

  /** `seq` was written to the client (or is covered): the position moves forward, never back. */
  wroteUpTo(seq: number): void {
    if (seq > this.writtenUpTo) this.writtenUpTo = seq;
  }

  /** The conflation interval in ms (a bucket), 0 when not conflated. */
  get conflate(): number {
    return this.interval;
  }

  /** The slow-client policy's switch (conflation/slow-client-policy.ts): from now on conflated every `ms`. */
  switchToConflation(ms: number): void {
    this.interval = ms;
  }

  get state(): SubscriptionState {
    return this.phase;
  }

  get isLive(): boolean {
    return this.phase === 'live';
  }

  get isClosed(): boolean {
    return this.phase === 'closed';
  }

  /** Holds live messages until the subscription goes live; false when the connection's budget is passed. */
  hold(messages: readonly BrokerMessage[], bytes: number): boolean {
    for (const m of messages) this.held.push(m);
    this.heldBytes += bytes;
    return this.conn.writer.reserve(bytes);
  }

  startReplay(): void {
    if (this.phase === 'pending') this.phase = 'replaying';
  }

  /** Goes live at `seam`: returns the held messages newer than it, which the caller writes next. */
  goLive(seam: number): BrokerMessage[] {
    const fresh = this.held.filter((m) => m.seq > seam);
    this.releaseHeld();
    this.wroteUpTo(seam);
    if (this.phase !== 'closed') this.phase = 'live';
    return fresh;
  }

  /** Ends the subscription; true only the first time. */
  close(): boolean {
    if (this.phase === 'closed') return false;
    this.phase = 'closed';
    this.releaseHeld();
    return true;
  }

  private releaseHeld(): void {
    this.conn.writer.release(this.heldBytes);
    this.held = [];
    this.heldBytes = 0;
  }
}
