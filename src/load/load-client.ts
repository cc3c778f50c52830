// One simulated client of `odin load`: connects (from a chosen source
// address), subscribes, resumes every channel from its last position after a
// reconnect, checks continuity, records latency from each message's `ts`, and
// sends keepalives. Its GapDetector outlives its connections, so loss across a
// reconnect is caught too. A message that arrives before its subscription's
// `subscribed` answer is replay (docs/protocol.md: replay, then `subscribed`,
// then live): its `now - ts` is its age, not delivery latency, and is kept apart.
import WebSocket from 'ws';
import { channelMatches } from '@odin-gateway/client/channels';
import { closeCodeName } from '@odin-gateway/client/codes';
import type { SubscribeEntry } from '@odin-gateway/client/protocol';
import { forEachLine, isDataText, scanDataLine } from './data-line-scanner.js';
import { BookFollower, isBookChannel } from './book-follower.js';
import { GapDetector } from './gap-detector.js';
import { preciseNowMs } from './latency-recorder.js';
import type { LoadStats } from './load-stats.js';

export interface LoadClientOptions {
  url: string;
  channels: readonly string[];
  localAddress?: string;
  /** Application keepalive (`ping`) period; 0 = none. */
  keepaliveMs: number;
  connectTimeoutMs?: number;
  /** Offer permessage-deflate, as browsers do. */
  compression?: boolean;
}

function isPattern(entry: string): boolean {
  return entry.includes('*') || entry.includes('>');
}

/** The socket carries its client, so the listeners below need no closure per connection. */
class LoadSocket extends WebSocket {
  client!: LoadClient;
  /** Per socket, not per client: an old socket may still be closing when the client reconnects. */
  opened = false;
  failed = false;
}

function onOpen(this: WebSocket): void {
  (this as LoadSocket).client.handleOpen(this as LoadSocket);
}
function onMessage(this: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
  if (!isBinary) (this as LoadSocket).client.handleFrame(this as LoadSocket, data as Buffer);
}
function onClose(this: WebSocket, code: number): void {
  (this as LoadSocket).client.handleClose(this as LoadSocket, code);
}
function onError(this: WebSocket, err: Error & { code?: string }): void {
  (this as LoadSocket).client.handleError(this as LoadSocket, err.code ?? err.message);
}
function onUnexpectedResponse(this: WebSocket, _req: unknown, res: { statusCode?: number }): void {
  const client = (this as LoadSocket).client;
  client.handleError(this as LoadSocket, `HTTP ${res.statusCode ?? '?'}`);
  this.terminate();
}

export class LoadClient {
  readonly detector = new GapDetector();
  /** Local books of the book channels among `channels`, verified message by message. */
  private readonly books: BookFollower;
  /** A reference-protocol client (`?protocol=reference`): never subscribes; its per-connection seq must count up by one. */
  private readonly reference: boolean;
  private referenceSeq = 0;
  ws: LoadSocket | undefined;
  connected = false;
  /** Set when we closed on purpose: the close is not an incident. */
  private closingByUs = false;
  /** Gaps seen on a channel while its resume is unanswered: forgiven if the server says recovered:false. */
  private readonly provisionalGaps = new Map<string, number>();
  /** Entries subscribed on this connection whose `subscribed` answer has not come yet: what arrives for them is replay. */
  private readonly unanswered = new Set<string>();
  private unansweredPatterns = 0;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  onClosed: ((client: LoadClient, code: number, byUs: boolean) => void) | undefined;

  constructor(
    readonly options: LoadClientOptions,
    private readonly stats: LoadStats,
  ) {
    this.reference = /[?&]protocol=reference(&|$)/.test(options.url);
    this.books = new BookFollower(stats);
  }

  connect(): void {
    this.closingByUs = false;
    this.stats.attempted++;
    const ws = new LoadSocket(this.options.url, {
      perMessageDeflate: this.options.compression === true,
      handshakeTimeout: this.options.connectTimeoutMs ?? 10_000,
      ...(this.options.localAddress ? { localAddress: this.options.localAddress } : {}),
    });
    ws.client = this;
    ws.on('open', onOpen);
    ws.on('message', onMessage);
    ws.on('close', onClose);
    ws.on('error', onError);
    ws.on('unexpected-response', onUnexpectedResponse);
    this.ws = ws;
  }

  /** Closes on purpose (end of session or run). */
  close(code = 1000): void {
    this.closingByUs = true;
    const ws = this.ws;
    if (!ws) return;
    if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    else if (ws.readyState === WebSocket.OPEN) ws.close(code, 'load test done');
  }

  /** @internal */
  handleOpen(ws: LoadSocket): void {
    ws.opened = true;
    if (ws !== this.ws) return;
    this.connected = true;
    this.stats.connectionOpened();
    if (this.reference) return this.openReference();
    const entries: Array<string | SubscribeEntry> = [];
    let resuming = 0;
    this.unanswered.clear();
    this.unansweredPatterns = 0;
    this.books.connectionOpened();
    for (const channel of this.options.channels) {
      this.unanswered.add(channel);
      if (isPattern(channel)) this.unansweredPatterns++;
      // A book with no verified base cannot be continued: a fresh snapshot instead.
      if (isBookChannel(channel) && !this.books.isSynced(channel)) this.detector.reset(channel);
      const since = this.detector.position(channel);
      if (since) {
        resuming++;
        this.provisionalGaps.set(channel, 0);
        entries.push({ channel, since });
      } else {
        entries.push(channel);
      }
    }
    if (resuming > 0) {
      this.stats.resumingConnections++;
      this.stats.resumeChannels += resuming;
    }
    this.ws.send(JSON.stringify({ type: 'subscribe', id: 1, channels: entries }));
    if (this.options.keepaliveMs > 0) {
      this.keepaliveTimer = setInterval(() => this.sendKeepalive(), this.options.keepaliveMs);
      this.keepaliveTimer.unref();
    }
  }

  /** The reference's clients never subscribe (the gateway's default channels feed them) and send heartbeats. */
  private openReference(): void {
    this.referenceSeq = 0;
    if (this.options.keepaliveMs > 0) {
      this.keepaliveTimer = setInterval(() => {
        if (this.ws?.readyState !== WebSocket.OPEN) return;
        this.ws.send('{"type":"heartbeat"}');
        this.stats.keepalivesSent++;
      }, this.options.keepaliveMs);
      this.keepaliveTimer.unref();
    }
  }

  /** One reference message per frame: `{seq, ts, type, priority, data}`, seq contiguous from 1 on each connection. */
  private handleReferenceFrame(text: string): void {
    let m: { seq?: unknown; ts?: unknown; type?: unknown };
    try {
      m = JSON.parse(text) as typeof m;
    } catch {
      return;
    }
    if (typeof m.seq !== 'number') {
      if (m.type === 'pong') this.stats.pongs++;
      else if (m.type === 'error') this.stats.serverErrors++;
      return;
    }
    if (typeof m.ts === 'number') this.stats.recordLive(preciseNowMs() - m.ts);
    if (m.seq <= this.referenceSeq) this.stats.duplicates++;
    else if (m.seq !== this.referenceSeq + 1) {
      this.stats.gaps++;
      if (this.stats.gapExamples.length < 10) this.stats.gapExamples.push({ channel: '(connection seq)', expectedPrev: this.referenceSeq, prev: m.seq - 1, seq: m.seq });
    }
    this.referenceSeq = Math.max(this.referenceSeq, m.seq);
  }

  private sendKeepalive(): void {
    if (this.ws?.readyState !== WebSocket.OPEN) return;
    this.ws.send('{"type":"ping"}');
    this.stats.keepalivesSent++;
  }

  /** @internal */
  handleFrame(ws: LoadSocket, data: Buffer): void {
    // A socket this client has replaced (a session ended with a graceful close while the next one
    // opened) may still deliver what it had received: counting it would move the positions after the
    // new subscribe was sent, and the new session's replay would then repeat it as duplicates.
    if (ws !== this.ws) return;
    const stats = this.stats;
    stats.frames++;
    stats.bytes += data.length;
    const text = data.toString('utf8');
    if (this.reference) return this.handleReferenceFrame(text);
    if (isDataText(text)) forEachLine(text, this.handleDataLine);
    else this.handleControl(text);
  }

  private readonly handleDataLine = (line: string): void => {
    const header = scanDataLine(line);
    if (!header) return;
    // Leftovers of a book subscription being replaced after a mismatch.
    if (this.books.isResyncing(header.channel)) return;
    const stats = this.stats;
    if (this.unanswered.size > 0 && this.isUnanswered(header.channel)) stats.recordReplay(preciseNowMs() - header.ts);
    else stats.recordLive(preciseNowMs() - header.ts);
    const result = this.detector.observe(header.channel, header.seq, header.prev, header.epoch, header.skipped);
    if (result === 'duplicate') stats.duplicates++;
    else if (result === 'gap') {
      const provisional = this.provisionalGaps.get(header.channel);
      if (provisional !== undefined) this.provisionalGaps.set(header.channel, provisional + 1);
      else this.countGap();
    }
    if (result !== 'duplicate' && isBookChannel(header.channel) && this.books.apply(header.channel, line)) {
      this.ws?.send(JSON.stringify({ type: 'unsubscribe', channels: [header.channel] }));
    }
  };

  private isUnanswered(channel: string): boolean {
    if (this.unanswered.has(channel)) return true;
    if (this.unansweredPatterns === 0) return false;
    for (const entry of this.unanswered) if (isPattern(entry) && channelMatches(entry, channel)) return true;
    return false;
  }

  private countGap(): void {
    this.stats.gaps++;
    const example = this.detector.examples[this.detector.examples.length - 1];
    if (example && this.stats.gapExamples.length < 10) this.stats.gapExamples.push(example);
  }

  private handleControl(text: string): void {
    let m: { type?: string; channel?: string; channels?: string[]; recovered?: boolean; replayed?: number };
    try {
      m = JSON.parse(text) as typeof m;
    } catch {
      return;
    }
    if (m.type === 'pong') this.stats.pongs++;
    else if (m.type === 'error') this.stats.serverErrors++;
    else if (m.type === 'replaying' && m.recovered === false && m.channel !== undefined) {
      // As the SDK: history is gone, continuity restarts from the latest values that follow (another epoch is then no gap).
      const entry = m.channel;
      this.books.notRecovered(entry);
      this.detector.resetMatching((channel) => (isPattern(entry) ? channelMatches(entry, channel) : channel === entry));
    } else if (m.type === 'unsubscribed' && Array.isArray(m.channels)) {
      for (const channel of m.channels) {
        if (!this.books.unsubscribed(channel)) continue;
        // Nothing of the old subscription can follow now: a fresh one, without since, starts with a snapshot.
        this.detector.reset(channel);
        this.unanswered.add(channel);
        this.ws?.send(JSON.stringify({ type: 'subscribe', channels: [channel] }));
      }
    } else if (m.type === 'subscribed' && m.channel !== undefined) {
      if (this.unanswered.delete(m.channel) && isPattern(m.channel)) this.unansweredPatterns--;
      const provisional = this.provisionalGaps.get(m.channel);
      this.provisionalGaps.delete(m.channel);
      if (m.recovered === true) {
        this.stats.resumesRecovered++;
        this.stats.replayed += m.replayed ?? 0;
        for (let i = 0; i < (provisional ?? 0); i++) this.countGap();
      } else if (m.recovered === false) {
        // Told explicitly: the client knows it lost messages and resyncs; not a silent gap.
        this.stats.resumesNotRecovered++;
      }
    }
  }

  /** @internal */
  handleError(ws: LoadSocket, code: string): void {
    if (ws.opened || ws.failed) return;
    ws.failed = true;
    this.stats.failed++;
    this.stats.count(this.stats.errorsByCode, code);
  }

  /** @internal */
  handleClose(ws: LoadSocket, code: number): void {
    if (ws.opened) {
      this.stats.open--;
      if (!this.closingByUs && ws === this.ws) this.stats.count(this.stats.closesByCode, `${code} ${closeCodeName(code)}`);
    } else if (!ws.failed) {
      ws.failed = true;
      this.stats.failed++;
      this.stats.count(this.stats.errorsByCode, `close ${code}`);
    }
    if (ws !== this.ws) return;
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
    this.connected = false;
    this.provisionalGaps.clear();
    this.unanswered.clear();
    this.unansweredPatterns = 0;
    this.onClosed?.(this, code, this.closingByUs);
  }
}
