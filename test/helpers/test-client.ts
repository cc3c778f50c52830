// A protocol-v1 test client over a real WebSocket: records every message,
// checks continuity per channel from `prev`, and waits for conditions.
import WebSocket from 'ws';
import { advances, classify, verdictOf } from '@odin-gateway/client/continuity';
import { parseServerFrame, type DataMessage, type ServerMessage } from '@odin-gateway/client/protocol';
import { ArrivalWaiter } from './arrival-waiter.js';

export class TestClient {
  readonly messages: ServerMessage[] = [];
  readonly data: DataMessage[] = [];
  /** Per channel, the last seq seen. */
  readonly lastSeq = new Map<string, number>();
  /** Continuity violations seen (gaps, duplicates, epoch changes): must stay empty. */
  readonly gaps: string[] = [];
  /** Messages whose `prev` was 0 after an earlier one on the channel: unverifiable (protocol.md, Positions). */
  readonly unverified: DataMessage[] = [];
  /** Epoch of the positions in `lastSeq`. */
  private readonly epochs = new Map<string, string>();
  frames = 0;
  /** Pings received from the gateway (one per keepalive sweep while open). */
  pings = 0;
  closeCode: number | undefined;
  closeReason = '';
  private readonly arrivals = new ArrivalWaiter();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (raw, isBinary) => {
      if (isBinary) return;
      this.frames++;
      for (const m of parseServerFrame(raw.toString())) this.record(m);
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      this.wake();
    });
    ws.on('ping', () => {
      this.pings++;
      this.wake();
    });
    ws.on('error', () => undefined);
  }

  static async connect(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
    const ws = new WebSocket(url, { perMessageDeflate: false, ...options });
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    await client.waitFor(() => client.messages.some((m) => m.type === 'welcome'), 5000, 'welcome');
    return client;
  }

  private record(m: ServerMessage): void {
    this.messages.push(m);
    if (m.type !== 'message') return;
    this.data.push(m);
    const last = this.lastSeq.get(m.channel);
    const continuity = classify(last === undefined ? undefined : { seq: last, epoch: this.epochs.get(m.channel) ?? m.epoch }, m);
    // The SDK's verdict: a duplicate or a gap (an epoch change without resetChannel included) is a violation.
    const verdict = verdictOf(continuity);
    if (verdict === 'unverified') this.unverified.push(m);
    else if (verdict !== 'ok') this.gaps.push(`${m.channel}: ${continuity}: expected prev ${last}, got prev ${m.prev} (seq ${m.seq})`);
    if (!advances(continuity)) return;
    this.lastSeq.set(m.channel, m.seq);
    this.epochs.set(m.channel, m.epoch);
  }

  /** Forget continuity state for a channel (e.g. after recovered:false). */
  resetChannel(channel: string): void {
    this.lastSeq.delete(channel);
    this.epochs.delete(channel);
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  dataOn(channel: string): DataMessage[] {
    return this.data.filter((m) => m.channel === channel);
  }

  ofType<T extends ServerMessage['type']>(type: T): Array<Extract<ServerMessage, { type: T }>> {
    return this.messages.filter((m) => m.type === type) as Array<Extract<ServerMessage, { type: T }>>;
  }

  async subscribe(entries: unknown[], id: number | string = Math.floor(Math.random() * 1e9)): Promise<Extract<ServerMessage, { type: 'subscribed' }>[]> {
    this.send({ type: 'subscribe', id, channels: entries });
    const done = () => this.messages.filter((m) => (m.type === 'subscribed' || m.type === 'error') && 'id' in m && m.id === id);
    // A bound for a stuck server, not a speed check: a wide resume on a machine twice as busy answers late, not never.
    await this.waitFor(() => done().length >= entries.length, 30_000, `subscribe ${id}`);
    return done().filter((m) => m.type === 'subscribed') as Extract<ServerMessage, { type: 'subscribed' }>[];
  }

  waitFor(condition: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    return this.arrivals.waitFor(condition, timeoutMs, what);
  }

  async waitClosed(timeoutMs = 10_000): Promise<number> {
    await this.waitFor(() => this.closeCode !== undefined, timeoutMs, 'close');
    return this.closeCode!;
  }

  close(): void {
    this.ws.close();
  }

  private wake(): void {
    this.arrivals.wake();
  }
}
