// Resume of missed messages, measured end to end on Odin: N messages are
// published while the client is "away" (acknowledged and taken in by the
// gateway, as after a real absence), then the client subscribes with the
// position before them; the time runs from sending the subscribe to
// receiving the last replayed message. The replay is checked by seq, not
// only counted: it must answer recovered:true, start right after the
// position, chain every message's prev to the one before, and end at the
// burst's last seq. The course runs 1k, 10k and 100k backlogs over NATS
// (file storage, the default whose promise is long recovery) and on the
// memory broker, each on a fresh gateway whose history holds the largest.
import WebSocket from 'ws';
import { LatencyRecorder, type LatencyPercentiles } from '../load/latency-recorder.js';
import type { RunningSystem, SystemSpec } from './bench-systems.js';

/** One backlog size of the course: `missed` messages replayed `rounds` times. */
export interface ResumeSize {
  missed: number;
  rounds: number;
}

export type ResumeBroker = 'nats' | 'memory';

/** One size on one broker, over every run of the bench. */
export interface ResumeCourseResult {
  broker: ResumeBroker;
  missed: number;
  rounds: number;
  runs: LatencyPercentiles[];
  p50Median?: number;
  p99Median?: number;
}

/** A round waits at least this long, plus ROUND_MS_PER_MESSAGE per replayed message: a bound for a stuck replay, not a speed check. */
const ROUND_BASE_TIMEOUT_MS = 5000;
const ROUND_MS_PER_MESSAGE = 0.2;

export function roundTimeoutMs(missed: number): number {
  return ROUND_BASE_TIMEOUT_MS + Math.ceil(missed * ROUND_MS_PER_MESSAGE);
}

/** The data message header as the gateway writes it (data-message-encoder.ts): seq and prev without parsing the payload. */
const MESSAGE_HEAD = /^\{"type":"message","channel":"[^"]*","seq":(\d+),"prev":(\d+)/;

/** Starts `spec` with history for the largest size, measures every size on its own channel, stops it. */
export async function runResumeCourse(spec: SystemSpec, broker: ResumeBroker, sizes: readonly ResumeSize[]): Promise<Array<{ missed: number; rounds: number; result: LatencyPercentiles }>> {
  const largest = Math.max(...sizes.map((s) => s.missed));
  const system = await spec.start({ history: { size: largest, ...(broker === 'nats' ? { natsStorage: 'file' as const } : {}) } });
  try {
    const out: Array<{ missed: number; rounds: number; result: LatencyPercentiles }> = [];
    for (const size of sizes) {
      out.push({ ...size, result: await measureResume(system, size.missed, size.rounds, `bench.resume.${broker}.${size.missed}`) });
    }
    return out;
  } finally {
    await system.stop();
  }
}

export async function measureResume(system: RunningSystem, missed: number, rounds: number, channel = 'bench.resume'): Promise<LatencyPercentiles> {
  const position = await system.burst(channel, missed);
  const last = position.last;
  const ws = new WebSocket(system.urlFor([channel]), { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const recorder = new LatencyRecorder();
  let round: ReplayCheck | undefined;
  ws.on('message', (data: Buffer) => {
    if (!round) return;
    for (const line of data.toString('utf8').split('\n')) round.line(line);
  });
  try {
    for (let i = 0; i < rounds; i++) {
      const check = new ReplayCheck(position.before, missed, last);
      round = check;
      const timeoutMs = roundTimeoutMs(missed);
      const done = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`resume round of ${missed} timed out after ${timeoutMs} ms: ${check.describe()}`)), timeoutMs);
        check.onEnd = (err) => {
          clearTimeout(timer);
          if (err) reject(err);
          else resolve();
        };
      });
      const started = performance.now();
      ws.send(JSON.stringify({ type: 'subscribe', id: i, channels: [{ channel, since: { seq: position.before, epoch: position.epoch } }] }));
      await done;
      recorder.recordMs(performance.now() - started);
      round = undefined;
    }
  } finally {
    ws.terminate();
  }
  return recorder.percentiles();
}

/**
 * One round's replay, checked by seq: recovered:true, the first message
 * after `before`, each prev the seq before it, `missed` messages ending at
 * `last` (when the system reports it; else counted).
 */
class ReplayCheck {
  onEnd: ((err?: Error) => void) | undefined;
  private received = 0;
  private lastSeq: number | undefined;
  private firstSeq: number | undefined;
  private ended = false;

  constructor(
    private readonly before: number,
    private readonly missed: number,
    private readonly last: number | undefined,
  ) {}

  line(line: string): void {
    if (this.ended || line.length === 0) return;
    const head = MESSAGE_HEAD.exec(line);
    if (!head) {
      if (line.includes('"type":"subscribed"') && !line.includes('"recovered":true')) this.end(new Error(`resume not recovered: ${line.slice(0, 300)}`));
      else if (line.startsWith('{"type":"error"')) this.end(new Error(`resume refused: ${line.slice(0, 300)}`));
      return;
    }
    const seq = Number(head[1]);
    const prev = Number(head[2]);
    if (this.lastSeq === undefined) {
      if (seq <= this.before) return this.end(new Error(`replay started at seq ${seq}, not after ${this.before}`));
      this.firstSeq = seq;
    } else if (prev !== this.lastSeq) {
      return this.end(new Error(`replay broken at seq ${seq}: prev ${prev}, the message before was ${this.lastSeq}`));
    }
    this.lastSeq = seq;
    this.received++;
    const complete = this.last !== undefined ? seq >= this.last : this.received >= this.missed;
    if (!complete) return;
    if (this.received !== this.missed || (this.last !== undefined && seq !== this.last)) {
      return this.end(new Error(`replay ended at seq ${seq} after ${this.received} messages; ${this.missed} ending at ${this.last ?? '?'} expected`));
    }
    this.end();
  }

  describe(): string {
    return `${this.received} of ${this.missed} received, seq ${this.firstSeq ?? '-'}..${this.lastSeq ?? '-'} (expected ${this.before + 1}..${this.last ?? '?'})`;
  }

  private end(err?: Error): void {
    this.ended = true;
    this.onEnd?.(err);
  }
}
