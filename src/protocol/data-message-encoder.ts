// Encodes a broker message into the protocol's data message, once per
// message, no matter how many clients receive it.
import type { BrokerMessage } from '../broker/broker.js';

export function encodeDataMessage(m: BrokerMessage): string {
  // Every string is escaped, even channel and epoch, which the ingest already
  // validates: a frame must stay well-formed whatever a broker hands over.
  // (Once per message, not per receiver.)
  return (
    `{"type":"message","channel":${JSON.stringify(m.channel)},"seq":${m.seq},"prev":${m.prev},"epoch":${JSON.stringify(m.epoch)},` +
    `"ts":${m.ts},"event":${JSON.stringify(m.event)},"data":${m.payload}}`
  );
}

/** A conflated data message: the newest message of its channel, standing for `skipped` earlier ones that were not sent. */
export function encodeConflatedMessage(m: BrokerMessage, skipped: number): string {
  return (
    `{"type":"message","channel":${JSON.stringify(m.channel)},"seq":${m.seq},"prev":${m.prev},"epoch":${JSON.stringify(m.epoch)},` +
    `"ts":${m.ts},"event":${JSON.stringify(m.event)},"skipped":${skipped},"data":${m.payload}}`
  );
}

/** The payload's top-level string `type`, the protocol's `event`. */
export function eventOf(payload: unknown): string {
  if (typeof payload === 'object' && payload !== null && !Array.isArray(payload)) {
    const t = (payload as Record<string, unknown>).type;
    if (typeof t === 'string' && t.length > 0 && t.length <= 64) return t;
  }
  return 'message';
}
