// Encodes what an SSE connection receives (docs/sse.md): each data message
// is one event, `id: <cursor>`, `event: message`, `data: <the same JSON line
// as on WebSocket>`; control messages are events named by their type. The
// cursor carries every subscription's position, so events are encoded per
// connection; the JSON line itself is the one encoded once per message.
import { channelMatches } from '@odin-gateway/client/channels';
import type { BrokerMessage } from '../../broker/broker.js';
import { encoded } from '../frame-batch.js';
import { encodeCursor, type SseCursor } from './sse-cursor.js';

/** Event names of control messages; `error` is renamed so it never reaches EventSource's onerror (kept for connection failures). */
function eventName(type: string): string {
  return type === 'error' ? 'odin-error' : type;
}

/** One SSE `data:` field per line; JSON from the broker may hold raw newlines only as whitespace. */
function dataField(json: string): string {
  return json.includes('\n') || json.includes('\r') ? json.replace(/[\r\n]+/g, ' ') : json;
}

/** Past this many distinct channels the channel -> entry cache starts over (patterns can match many). */
const MAX_CACHED_CHANNELS = 10_000;

export class SseEncoder {
  private readonly seqs: Array<number | undefined>;
  private epoch: string;
  private readonly entryOf = new Map<string, number>();

  constructor(
    /** The stream's channels list (names or patterns), in the order the cursor uses. */
    readonly channels: readonly string[],
    start: SseCursor | undefined,
    epoch: string,
  ) {
    this.seqs = start ? [...start.seqs] : channels.map(() => undefined);
    this.epoch = start?.epoch ?? epoch;
  }

  /** The cursor now: every entry's newest position. */
  cursor(): string {
    return encodeCursor(this.seqs, this.epoch);
  }

  /** Data events for `messages` (seq order), each with the cursor after it. */
  events(messages: readonly BrokerMessage[]): Buffer[] {
    let text = '';
    for (const m of messages) {
      const entry = this.entryFor(m.channel);
      if (entry >= 0 && m.seq > (this.seqs[entry] ?? 0)) this.seqs[entry] = m.seq;
      this.epoch = m.epoch;
      text += `id: ${this.cursor()}\nevent: message\ndata: ${dataField(encoded(m))}\n\n`;
    }
    return [Buffer.from(text)];
  }

  /**
   * A control message as an event. `subscribed` moves its entry's position
   * to the seam and carries the cursor, so a stream that drops before any
   * data message still resumes from there.
   */
  control(json: string): string {
    const message = JSON.parse(json) as { type: string; channel?: string; position?: { seq: number; epoch: string } };
    let id = '';
    if (message.type === 'subscribed' && message.channel !== undefined && message.position) {
      const entry = this.channels.indexOf(message.channel);
      if (entry >= 0) this.seqs[entry] = Math.max(this.seqs[entry] ?? 0, message.position.seq);
      this.epoch = message.position.epoch;
      id = `id: ${this.cursor()}\n`;
    }
    return `${id}event: ${eventName(message.type)}\ndata: ${json}\n\n`;
  }

  private entryFor(channel: string): number {
    let entry = this.entryOf.get(channel);
    if (entry === undefined) {
      entry = this.channels.findIndex((pattern) => channelMatches(pattern, channel));
      if (this.entryOf.size >= MAX_CACHED_CHANNELS) this.entryOf.clear();
      this.entryOf.set(channel, entry);
    }
    return entry;
  }
}
