// The reference gateway's wire format, for its clients (`/ws?protocol=reference`):
// one message per frame, `{seq, ts, type, priority, data}`, `seq` counting
// the messages of this connection from 1 (contiguous, so such a client judges
// gaps by it); of the control messages only `pong` and `error`, in the
// reference's shapes. Encode once still holds per protocol: everything after `seq`
// is encoded once per message and cached; only the `{"seq":N` prefix is per
// connection.
import type { ServerMessage } from '@odin-gateway/client/protocol';
import type { BrokerMessage } from '../broker/broker.js';
import { textFrame } from './text-frame.js';

/** The per-connection counter of a reference-protocol connection. */
export class ReferenceSequence {
  next = 1;
}

/** The reference's priority field: price updates are high, everything else normal. */
function priorityOf(event: string): string {
  return event === 'price:update' ? 'high' : 'normal';
}

function referenceTail(m: BrokerMessage): string {
  return (m.referenceTail ??= `,"ts":${m.ts},"type":${JSON.stringify(m.event)},"priority":"${priorityOf(m.event)}","data":${m.payload}}`);
}

/** One frame per message, numbered by the connection's sequence. */
export function referenceFrames(messages: readonly BrokerMessage[], sequence: ReferenceSequence): Buffer[] {
  const frames: Buffer[] = [];
  for (const m of messages) frames.push(textFrame(`{"seq":${sequence.next++}${referenceTail(m)}`));
  return frames;
}

/**
 * What a reference client is sent of a control message: only the shapes the
 * reference has, `{type:"pong", ts}` and `{type:"error", code, message}`.
 * Odin's own answers (welcome, subscribed, replaying, unsubscribed, ...) are
 * frames its clients do not know, so they are not sent (undefined).
 */
export function referenceControl(message: ServerMessage): object | undefined {
  if (message.type === 'pong') return { type: 'pong', ts: message.ts };
  if (message.type === 'error') return { type: 'error', code: message.code, message: message.message };
  return undefined;
}
