// One benchmark client connection, speaking the system's own protocol, and
// counting deliveries as cheaply as that protocol allows: Odin batch frames
// by their '\n' separators, NATS MSG lines by skipping payload bytes unread,
// one message per frame for the ws loop and socket.io. Only sampled
// connections read the payload (latency and per-channel continuity).
// Compressed frames (permessage-deflate) are inflated where the count or the
// sample needs the text; a frame shared by many connections (Odin deflates
// each batch once, the same bytes to every compressing client) is inflated
// once per worker and its count reused for identical bytes.
import { LatencyRecorder, preciseNowMs } from '../load/latency-recorder.js';
import type { ClientKind } from './bench-systems.js';
import { inflateFrame, StreamInflater } from './frame-inflater.js';
import { forEachTick } from './price-tick.js';
import { forEachLine, scanDataLine } from '../load/data-line-scanner.js';
import { RawWebSocket } from './raw-websocket.js';

export interface ConnectionSpec {
  url: string;
  /** Subscribed by name, each on its own (Odin: one subscribe entry each; NATS: one SUB each). */
  channels: string[];
  localAddress?: string;
  sampled: boolean;
  /** Offer permessage-deflate. */
  deflate?: boolean;
  /**
   * A slow reader: reads at most this many messages per second (it stops
   * reading its socket when ahead), so TCP backpressure reaches the server.
   * Counted apart from the other connections (WorkerCounters.slow).
   */
  readPerSec?: number;
}

/** The slow readers of a worker, counted apart so the others' rates and latency are theirs alone. */
export class SlowReaderCounters {
  ready = 0;
  received = 0;
  /** `conflating` messages: subscriptions the server switched to conflation. */
  conflating = 0;
  /** Closes by the server's close code ('none': the socket ended without a close frame). */
  readonly closes = new Map<string, number>();
}

/** Recently seen shared compressed frames and their delivery counts (a small ring). */
const SHARED_FRAMES = 8;

/** Shared by every connection of one worker. */
export class WorkerCounters {
  received = 0;
  ready = 0;
  failed = 0;
  closes = 0;
  gaps = 0;
  /** Bytes read from every socket (TCP payload: WebSocket frames and handshakes). */
  bytes = 0;
  measuring = false;
  /** Stamp `lastDeliveryAt` on each delivery (the scale broadcast's end). */
  stampDeliveries = false;
  lastDeliveryAt = 0;
  readonly latency = new LatencyRecorder();
  readonly errors = new Map<string, number>();
  readonly slow = new SlowReaderCounters();
  private readonly sharedFrames: SharedFrame[] = [];
  private nextShared = 0;

  /** A compressed frame identical to one seen before, if any. */
  shared(frame: Buffer): SharedFrame | undefined {
    for (const f of this.sharedFrames) if (f.bytes.length === frame.length && f.bytes.equals(frame)) return f;
    return undefined;
  }

  rememberShared(frame: Buffer, inflated: Buffer, count: number): SharedFrame {
    const entry: SharedFrame = { bytes: Buffer.from(frame), inflated, count };
    this.sharedFrames[this.nextShared] = entry;
    this.nextShared = (this.nextShared + 1) % SHARED_FRAMES;
    return entry;
  }
}

/** A compressed frame as many connections receive it, inflated once: its delivery count, and its text for sampled connections. */
interface SharedFrame {
  bytes: Buffer;
  inflated: Buffer;
  count: number;
  text?: string;
}

const ODIN_DATA = Buffer.from('{"type":"message"');
const NEWLINE = 10;
const NATS_CONNECT = 'CONNECT {"verbose":false,"pedantic":false,"tls_required":false,"name":"odin-bench","lang":"node","version":"1.0.0","protocol":1,"headers":false,"no_responders":false}\r\n';

export class BenchConnection {
  ws: RawWebSocket | undefined;
  isReady = false;
  wasOpened = false;
  /** Deliveries to this connection since the last `connect` (the scale broadcast checks every connection). */
  delivered = 0;
  /** Negotiated permessage-deflate; with server context takeover, the connection's own inflate stream. */
  private deflate: 'none' | 'frames' | 'stream' = 'none';
  private stream: StreamInflater | undefined;
  /** Last `n` per token seen by a sampled connection. */
  private readonly lastN = new Map<string, number>();
  // NATS stream state: a control line split across frames, payload bytes still to skip.
  private natsPending = '';
  private natsSkip = 0;
  private natsPayload = '';
  /** Odin answers each entry with its own `subscribed`: ready when all have come. */
  private subscribedAnswers = 0;
  /** A slow reader's allowance (a token bucket of messages, at most one second's worth) and when it was last filled. */
  private readTokens = 0;
  private readFilledAt = 0;
  /** A slow reader: the publish time of the newest message it has read (epoch ms), 0 before the first. */
  newestReadTs = 0;
  onSettled: (() => void) | undefined;
  onLost: ((conn: BenchConnection) => void) | undefined;

  constructor(
    readonly kind: ClientKind,
    readonly spec: ConnectionSpec,
    private readonly counters: WorkerCounters,
  ) {}

  connect(): void {
    this.isReady = false;
    this.wasOpened = false;
    this.natsPending = '';
    this.natsSkip = 0;
    this.natsPayload = '';
    this.subscribedAnswers = 0;
    this.delivered = 0;
    this.lastN.clear();
    this.newestReadTs = 0;
    this.deflate = 'none';
    this.stream?.close();
    this.stream = undefined;
    const counters = this.counters;
    const ws: RawWebSocket = new RawWebSocket(
      this.spec.url,
      this.spec.localAddress,
      {
        onOpen: () => this.handleOpen(),
        onText: (payload, compressed) => this.handleFrame(payload, compressed),
        onClose: () => this.handleClose(ws),
        onError: (code) => this.handleError(code),
        onBytes: (n) => (counters.bytes += n),
      },
      { deflate: this.spec.deflate ?? false },
    );
    this.ws = ws;
  }

  close(): void {
    this.onLost = undefined;
    this.stream?.close();
    this.ws?.terminate();
  }

  private get slowReader(): boolean {
    return this.spec.readPerSec !== undefined;
  }

  private markReady(): void {
    if (this.isReady) return;
    this.isReady = true;
    if (this.slowReader) {
      this.counters.slow.ready++;
      this.readTokens = this.spec.readPerSec!;
      this.readFilledAt = performance.now();
    } else this.counters.ready++;
    this.onSettled?.();
  }

  /** @internal */
  handleOpen(): void {
    this.wasOpened = true;
    const n = this.ws!.negotiated;
    this.deflate = !n.deflate ? 'none' : n.serverContextTakeover ? 'stream' : 'frames';
    if (this.deflate === 'stream') this.stream = new StreamInflater((err) => this.countError(`inflate: ${err.message}`));
    if (this.kind === 'odin') this.ws!.send(JSON.stringify({ type: 'subscribe', id: 1, channels: this.spec.channels }));
  }

  /** @internal */
  handleError(code: string): void {
    if (this.wasOpened) return;
    this.counters.failed++;
    this.counters.errors.set(code, (this.counters.errors.get(code) ?? 0) + 1);
  }

  /** @internal */
  handleClose(ws: RawWebSocket): void {
    if (ws !== this.ws) return;
    if (this.slowReader) {
      if (this.isReady) this.counters.slow.ready--;
      if (this.wasOpened) {
        const code = ws.closeCode === undefined ? 'none' : String(ws.closeCode);
        this.counters.slow.closes.set(code, (this.counters.slow.closes.get(code) ?? 0) + 1);
      }
    } else {
      if (this.isReady) this.counters.ready--;
      if (this.wasOpened) this.counters.closes++;
    }
    const wasReady = this.isReady;
    this.isReady = false;
    if (!wasReady) {
      // Closed before it was subscribed: a failed attempt too (it used to hold its handshake slot, and its first open, for ever).
      if (this.wasOpened) {
        this.counters.failed++;
        const code = `closed before subscribed (${ws.closeCode ?? 'no close frame'})`;
        this.counters.errors.set(code, (this.counters.errors.get(code) ?? 0) + 1);
      }
      this.onSettled?.();
    }
    this.onLost?.(this);
  }

  /** @internal */
  handleFrame(data: Buffer, compressed = false): void {
    if (compressed) {
      if (this.deflate === 'none') return this.countError('RSV1 without deflate');
      if (this.deflate === 'frames') {
        // Odin: the same bytes reach every compressing subscriber of a batch.
        if (this.kind === 'odin') return this.odinSharedFrame(data);
        data = inflateFrame(data);
      } else if (this.kind === 'ws-loop' && this.isReady) {
        // One message per frame: counted now; sampled connections read it once inflated, stamped with its arrival.
        this.deliveries(1, undefined);
        if (this.spec.sampled) {
          const arrived = preciseNowMs();
          this.stream!.inflate(data, (text) => this.sample(text.toString('utf8'), arrived));
        }
        return;
      } else {
        this.stream!.inflate(data, (text) => this.handleFrame(text, false));
        return;
      }
    }
    switch (this.kind) {
      case 'odin':
        return this.odinFrame(data);
      case 'ws-loop':
        return this.wsLoopFrame(data);
      case 'socketio':
        return this.socketIoFrame(data);
      case 'nats-ws':
        return this.natsFrame(data);
    }
  }

  private deliveries(count: number, text: string | undefined): void {
    if (this.slowReader) return this.slowDeliveries(count, text);
    this.counters.received += count;
    this.delivered += count;
    if (this.counters.stampDeliveries) this.counters.lastDeliveryAt = preciseNowMs();
    if (text !== undefined) this.sample(text);
  }

  /**
   * A compressed Odin frame without context takeover: the same bytes reach
   * every compressing subscriber of the batch, so they are inflated once per
   * worker; sampled connections read the shared text.
   */
  private odinSharedFrame(data: Buffer): void {
    let entry = this.counters.shared(data);
    if (!entry) {
      const inflated = inflateFrame(data);
      const count = odinDataCount(inflated);
      if (count === 0) return this.odinFrame(inflated);
      entry = this.counters.rememberShared(data, inflated, count);
    }
    this.deliveries(entry.count, this.spec.sampled ? (entry.text ??= entry.inflated.toString('utf8')) : undefined);
  }

  /** A slow reader counts apart and, once ahead of its rate, stops reading until the rate has caught up. */
  private slowDeliveries(count: number, text: string | undefined): void {
    this.counters.slow.received += count;
    if (text !== undefined) forEachTick(text, (_n, _token, ts) => (this.newestReadTs = Math.max(this.newestReadTs, ts)));
    this.delivered += count;
    const rate = this.spec.readPerSec!;
    const now = performance.now();
    this.readTokens = Math.min(rate, this.readTokens + ((now - this.readFilledAt) / 1000) * rate) - count;
    this.readFilledAt = now;
    if (this.readTokens < 0) this.ws?.holdReading(Math.ceil((-this.readTokens / rate) * 1000));
  }

  private countError(code: string): void {
    this.counters.errors.set(code, (this.counters.errors.get(code) ?? 0) + 1);
  }

  /** Latency and continuity from the payload(s), on sampled connections only. */
  private sample(text: string, now = preciseNowMs()): void {
    // Book messages carry no tick: their envelope's seq/prev and ts (the broker's publish time, whole ms) stand in.
    if (text.includes('"channel":"book.')) return this.sampleBooks(text, now);
    forEachTick(text, (n, token, ts) => {
      const last = this.lastN.get(token);
      if (last !== undefined && n !== last + 1) this.counters.gaps++;
      this.lastN.set(token, n);
      if (this.counters.measuring) this.counters.latency.recordMs(now - ts);
    });
  }

  private sampleBooks(text: string, now: number): void {
    forEachLine(text, (line) => {
      const h = scanDataLine(line);
      if (!h) return;
      const last = this.lastN.get(h.channel);
      if (last !== undefined && h.prev !== last) this.counters.gaps++;
      this.lastN.set(h.channel, h.seq);
      if (this.counters.measuring) this.counters.latency.recordMs(now - h.ts);
    });
  }

  private odinFrame(data: Buffer): void {
    const count = odinDataCount(data);
    if (count > 0) {
      // Slow readers read the text too (rarely: they are slow) for the age of the newest value they have.
      this.deliveries(count, this.spec.sampled || this.slowReader ? data.toString('utf8') : undefined);
      return;
    }
    const text = data.toString('utf8');
    if (text.includes('"type":"subscribed"') && ++this.subscribedAnswers === this.spec.channels.length) this.markReady();
    else if (text.includes('"type":"conflating"')) this.counters.slow.conflating++;
  }

  private wsLoopFrame(data: Buffer): void {
    if (!this.isReady) {
      this.markReady();
      return;
    }
    this.deliveries(1, this.spec.sampled ? data.toString('utf8') : undefined);
  }

  private socketIoFrame(data: Buffer): void {
    // Engine.IO v4 packets: 0 open, 2 ping, 4 message; Socket.IO 0 connect, 2 event.
    const c0 = data[0];
    const c1 = data[1];
    if (c0 === 0x34 && c1 === 0x32) {
      this.deliveries(1, this.spec.sampled ? data.toString('utf8') : undefined);
    } else if (c0 === 0x32) {
      this.ws!.send('3');
    } else if (c0 === 0x30) {
      this.ws!.send('40');
    } else if (c0 === 0x34 && c1 === 0x30) {
      this.markReady();
    }
  }

  private natsFrame(data: Buffer): void {
    let text = data.toString('latin1');
    let i = 0;
    if (this.natsSkip > 0) {
      const take = Math.min(this.natsSkip, text.length);
      if (this.spec.sampled) this.natsPayload += text.slice(0, take);
      this.natsSkip -= take;
      i = take;
      if (this.natsSkip === 0 && this.spec.sampled) {
        this.sample(this.natsPayload);
        this.natsPayload = '';
      }
    }
    if (this.natsPending.length > 0) {
      text = this.natsPending + text.slice(i);
      this.natsPending = '';
      i = 0;
    }
    let messages = 0;
    while (i < text.length) {
      const nl = text.indexOf('\r\n', i);
      if (nl < 0) {
        this.natsPending = text.slice(i);
        break;
      }
      const c = text.charCodeAt(i);
      if (c === 0x4d /* M */) {
        // MSG <subject> <sid> [reply] <bytes>: skip the payload and its CRLF without reading it.
        const size = Number(text.slice(text.lastIndexOf(' ', nl) + 1, nl));
        messages++;
        const start = nl + 2;
        const end = start + size + 2;
        if (end <= text.length) {
          if (this.spec.sampled) this.sample(text.slice(start, start + size));
          i = end;
        } else {
          if (this.spec.sampled) this.natsPayload = text.slice(start, start + size);
          this.natsSkip = end - text.length;
          if (this.natsSkip <= 2 && this.spec.sampled) {
            this.sample(this.natsPayload);
            this.natsPayload = '';
          }
          i = text.length;
        }
        continue;
      }
      const line = text.slice(i, nl);
      i = nl + 2;
      if (line === 'PING') this.ws!.send('PONG\r\n');
      else if (line === 'PONG') this.markReady();
      else if (line.startsWith('INFO')) this.ws!.send(`${NATS_CONNECT}${this.spec.channels.map((c, i) => `SUB odin.${c} ${i + 1}\r\n`).join('')}PING\r\n`);
      else if (line.startsWith('-ERR')) this.counters.errors.set(line, (this.counters.errors.get(line) ?? 0) + 1);
    }
    if (messages > 0) {
      this.counters.received += messages;
      this.delivered += messages;
      if (this.counters.stampDeliveries) this.counters.lastDeliveryAt = preciseNowMs();
    }
  }
}

/** Messages in an Odin data frame (a batch: one per line), 0 for anything else. */
function odinDataCount(data: Buffer): number {
  if (data.length <= ODIN_DATA.length || data.compare(ODIN_DATA, 0, ODIN_DATA.length, 0, ODIN_DATA.length) !== 0) return 0;
  let count = 1;
  for (let i = data.indexOf(NEWLINE); i >= 0; i = data.indexOf(NEWLINE, i + 1)) count++;
  return count;
}
