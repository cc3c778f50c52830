// A Server-Sent Events client written from the spec (WHATWG HTML, "Server-sent
// events") and docs/sse.md only, as an outside client would be: it parses
// fields (id, event, data, retry) and comments, remembers the last event id,
// and reconnects with `Last-Event-ID` when asked to. It records every data
// message and checks continuity per channel from `prev` (conflated `skipped`
// being a declared skip), like test-client.ts does for WebSocket.
import { request, type IncomingMessage } from 'node:http';
import { classify } from '@odin-gateway/client/continuity';
import type { DataMessage } from '@odin-gateway/client/protocol';
import { ArrivalWaiter } from './arrival-waiter.js';

export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
}

export class SseClient {
  readonly events: SseEvent[] = [];
  readonly data: DataMessage[] = [];
  readonly gaps: string[] = [];
  readonly comments: string[] = [];
  /** The id of the last event that carried one: what a reconnect sends as Last-Event-ID. */
  lastEventId = '';
  retryMs: number | undefined;
  /** HTTP status of the last (re)connection. */
  status = 0;
  headers: IncomingMessage['headers'] = {};
  body = '';
  /** Set when the current stream ended (by either side). */
  ended = false;
  connections = 0;
  private readonly lastSeq = new Map<string, { seq: number; epoch: string }>();
  private response: IncomingMessage | undefined;
  private buffer = '';
  private eventId: string | undefined;
  private eventName = '';
  private dataLines: string[] = [];
  private readonly arrivals = new ArrivalWaiter();

  constructor(
    private url: string,
    private readonly headersToSend: Record<string, string> = {},
  ) {}

  /** Opens the stream (again, with Last-Event-ID when one was seen); resolves once the response head arrived. */
  connect(url = this.url): Promise<void> {
    this.url = url;
    this.ended = false;
    this.buffer = '';
    this.body = '';
    this.connections++;
    const headers: Record<string, string> = { accept: 'text/event-stream', ...this.headersToSend };
    if (this.lastEventId !== '') headers['last-event-id'] = this.lastEventId;
    return new Promise<void>((resolve, reject) => {
      const req = request(url, { headers, agent: false }, (res) => {
        this.response = res;
        this.status = res.statusCode ?? 0;
        this.headers = res.headers;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          this.body += chunk;
          this.feed(chunk);
        });
        const end = (): void => {
          this.ended = true;
          this.wake();
        };
        res.on('end', end);
        res.on('close', end);
        res.on('error', end);
        resolve();
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** Drops the connection abruptly, as a network would. */
  drop(): void {
    this.response?.socket?.destroy();
  }

  ofEvent(name: string): SseEvent[] {
    return this.events.filter((e) => e.event === name);
  }

  json<T>(name: string): T[] {
    return this.ofEvent(name).map((e) => JSON.parse(e.data) as T);
  }

  dataOn(channel: string): DataMessage[] {
    return this.data.filter((m) => m.channel === channel);
  }

  waitFor(condition: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    return this.arrivals.waitFor(condition, timeoutMs, what);
  }

  /** The event stream interpretation: lines end with CRLF, LF or CR; a blank line dispatches. */
  private feed(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const match = /\r\n|\n|\r/.exec(this.buffer);
      if (!match) break;
      // A CR at the very end may be the first half of a CRLF: wait for more.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      this.line(line);
    }
    this.wake();
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) {
      this.comments.push(line.slice(1).trim());
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.dataLines.push(value);
    else if (field === 'event') this.eventName = value;
    else if (field === 'id' && !value.includes('\0')) this.eventId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
  }

  private dispatch(): void {
    if (this.eventId !== undefined) this.lastEventId = this.eventId;
    const event: SseEvent = { id: this.eventId, event: this.eventName || 'message', data: this.dataLines.join('\n') };
    this.eventId = undefined;
    this.eventName = '';
    const hadData = this.dataLines.length > 0;
    this.dataLines = [];
    if (!hadData) return;
    this.events.push(event);
    if (event.event === 'message') this.record(JSON.parse(event.data) as DataMessage);
  }

  private record(m: DataMessage): void {
    const last = this.lastSeq.get(m.channel);
    const c = classify(last, m);
    if (c !== 'first' && c !== 'next' && c !== 'skipped') this.gaps.push(`${m.channel}: ${c}: after ${last?.seq}, got seq ${m.seq} prev ${m.prev}`);
    if (c !== 'duplicate') this.lastSeq.set(m.channel, { seq: m.seq, epoch: m.epoch });
    this.data.push(m);
  }

  private wake(): void {
    this.arrivals.wake();
  }
}
