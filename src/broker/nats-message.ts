// A JetStream message as the gateway sees it. Anyone with NATS access can
// publish on `odin.>`, so the payload is checked here: the gateway splices it
// into frames unparsed and splits batches on newlines, so it must be valid
// JSON without raw newlines.
import type { JsMsg } from '@nats-io/jetstream';
import { subjectToChannel } from '../protocol/channels.js';
import { eventOf } from '../protocol/data-message-encoder.js';
import type { BrokerMessage } from './broker.js';

const decoder = new TextDecoder();

/** Valid, single-line JSON text for a payload, and its `event`. */
export function normalisePayload(bytes: Uint8Array): { payload: string; event: string } {
  const text = decoder.decode(bytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON (a foreign publisher): deliver it as a JSON string rather than drop it.
    return { payload: JSON.stringify(text), event: 'message' };
  }
  // Pretty-printed JSON would break newline-separated batches: re-serialise it.
  const payload = text.includes('\n') || text.includes('\r') ? JSON.stringify(parsed) : text.trim();
  return { payload, event: eventOf(parsed) };
}

/** The channel of a stream message, or undefined for a subject outside `odin.`. */
export function channelOf(m: JsMsg): string | undefined {
  return subjectToChannel(m.subject);
}

/** Builds the broker message; `prev` comes from whoever knows the subject's previous seq. */
export function toBrokerMessage(m: JsMsg, channel: string, prev: number, epoch: string): BrokerMessage {
  const { payload, event } = normalisePayload(m.data);
  return {
    channel,
    seq: m.seq,
    prev,
    epoch,
    // The stream's own timestamp: the same on every gateway instance.
    ts: Number(m.timestampNanos / 1_000_000n),
    event,
    payload,
  };
}
