// A JetStream message as the gateway sees it. Anyone with NATS access can
// publish on `odin.>`, so the payload is checked here: the gateway splices it
// into frames unparsed and splits batches on newlines, so it must be valid
// JSON without raw newlines.
import type { JsMsg, StoredMsg } from '@nats-io/jetstream';
import { checkChannel, subjectToChannel } from '@odin-gateway/client/channels';
import { eventOf } from '../protocol/data-message-encoder.js';
import type { BrokerMessage } from './broker.js';
import { reportInvalidSubject } from './ingest-drops.js';

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

/** What the broker needs of a stored message, however it was read (consumer or direct request). */
export interface StreamRecord {
  seq: number;
  subject: string;
  data: Uint8Array;
  /** The stream's timestamp, ms since the Unix epoch: the same on every gateway instance. */
  ts: number;
}

export function recordOfJsMsg(m: JsMsg): StreamRecord {
  return { seq: m.seq, subject: m.subject, data: m.data, ts: Number(m.timestampNanos / 1_000_000n) };
}

export function recordOfStoredMsg(m: StoredMsg): StreamRecord {
  return { seq: m.seq, subject: m.subject, data: m.data, ts: m.time.getTime() };
}

/**
 * The channel of a stream message, or undefined for a subject outside `odin.`
 * or one that is not a valid channel name (reported to ingest-drops.ts, so
 * the gateway counts it): such a message is never forwarded.
 */
export function channelOf(r: StreamRecord): string | undefined {
  const channel = subjectToChannel(r.subject);
  if (channel === undefined) return undefined;
  const check = checkChannel(channel);
  if (!check.ok || check.wildcard) {
    reportInvalidSubject(r.subject);
    return undefined;
  }
  return channel;
}

/** Builds the broker message; `prev` comes from whoever knows the subject's previous seq. */
export function toBrokerMessage(r: StreamRecord, channel: string, prev: number, epoch: string): BrokerMessage {
  const { payload, event } = normalisePayload(r.data);
  return { channel, seq: r.seq, prev, epoch, ts: r.ts, event, payload };
}
