// What a load run counts, shared by every simulated client of the run, and
// the per-second timeline the HTML report draws.
import { LatencyRecorder, type LatencyPercentiles } from './latency-recorder.js';
import type { GapEvent } from './gap-detector.js';
import { GeneratorMonitor, isGeneratorBusy, type GeneratorFigures } from './generator-monitor.js';

export interface TimelinePoint {
  /** Seconds since the run started. */
  t: number;
  open: number;
  attempted: number;
  failed: number;
  /** Live messages received per second (replay not included). */
  messagesPerSec: number;
  /** Replayed messages received per second (resumes). */
  replayedPerSec: number;
  /** Live publish-to-receive latency this second, ms. */
  p50: number;
  p99: number;
  gaps: number;
  /** The realistic simulation's target at that time. */
  target?: number;
  /** This load generator's own event loop this second: share busy (0..1) and delay p99 (ms). */
  loopUtilization: number;
  loopDelayP99Ms: number;
  /** The generator was busy this second: its latency figures include its own queueing. */
  generatorBusy: boolean;
}

export class LoadStats {
  readonly startedAt = Date.now();
  attempted = 0;
  opened = 0;
  failed = 0;
  open = 0;
  peakOpen = 0;
  readonly errorsByCode = new Map<string, number>();
  readonly closesByCode = new Map<string, number>();
  /** Data messages received, live and replayed. */
  messages = 0;
  /** Of which before their subscription's `subscribed` answer: replay. */
  replayMessages = 0;
  frames = 0;
  bytes = 0;
  gaps = 0;
  duplicates = 0;
  readonly gapExamples: GapEvent[] = [];
  /** Connections reopened (after a session end or a server close). */
  reconnects = 0;
  /** Reopened connections that asked to resume at least one channel. */
  resumingConnections = 0;
  /** Channels asked to resume (`since`), over all those connections. */
  resumeChannels = 0;
  /** Channels answered recovered:true / recovered:false. */
  resumesRecovered = 0;
  resumesNotRecovered = 0;
  /** Messages the server says it replayed for recovered channels (`subscribed.replayed`). */
  replayed = 0;
  keepalivesSent = 0;
  pongs = 0;
  /** Book channels (docs/books.md): messages verified against a local book, mismatches, books rebuilt. */
  bookVerified = 0;
  bookMismatches = 0;
  bookResyncs = 0;
  serverErrors = 0;
  /** Publish-to-receive latency of live messages only. */
  readonly latency = new LatencyRecorder();
  /** `now - ts` of replayed messages: how old they were when they arrived (about the time the client was away). */
  readonly replayAge = new LatencyRecorder();
  /** This second's live latencies, for the timeline. */
  readonly window = new LatencyRecorder();
  readonly timeline: TimelinePoint[] = [];
  /** How busy this process is: per second, per balancing period, over the run. */
  readonly generator = new GeneratorMonitor();
  /**
   * Seconds in which the generator was busy, and the live latencies recorded in them or in
   * the second after one: what a stall delays is read once it ends, often after the tick.
   */
  busySeconds = 0;
  liveWhileBusy = 0;
  /** Live latency of the other seconds: the figures to trust. */
  readonly calmLatency = new LatencyRecorder();
  private lastSecondBusy = false;
  private lastTickMessages = 0;
  private lastTickReplay = 0;
  private lastTickAt = performance.now();

  count(map: Map<string, number>, key: string): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }

  /** One live message, `ms` after it was published. */
  recordLive(ms: number): void {
    this.messages++;
    this.latency.recordMs(ms);
    this.window.recordMs(ms);
  }

  /** One replayed message, `ms` old. */
  recordReplay(ms: number): void {
    this.messages++;
    this.replayMessages++;
    this.replayAge.recordMs(ms);
  }

  connectionOpened(): void {
    this.opened++;
    this.open++;
    if (this.open > this.peakOpen) this.peakOpen = this.open;
  }

  /** Closes the current second: appends a timeline point and returns it. */
  tick(target?: number): TimelinePoint {
    const now = performance.now();
    const seconds = Math.max(0.001, (now - this.lastTickAt) / 1000);
    const w = this.window.percentiles();
    const loop = this.generator.second();
    const busy = isGeneratorBusy(loop);
    if (busy) this.busySeconds++;
    if (busy || this.lastSecondBusy) this.liveWhileBusy += this.window.count;
    else this.calmLatency.add(this.window);
    this.lastSecondBusy = busy;
    const point: TimelinePoint = {
      t: Math.round((Date.now() - this.startedAt) / 100) / 10,
      open: this.open,
      attempted: this.attempted,
      failed: this.failed,
      messagesPerSec: Math.round((this.messages - this.replayMessages - this.lastTickMessages) / seconds),
      replayedPerSec: Math.round((this.replayMessages - this.lastTickReplay) / seconds),
      p50: w.p50,
      p99: w.p99,
      gaps: this.gaps,
      ...(target !== undefined ? { target } : {}),
      loopUtilization: loop.utilization,
      loopDelayP99Ms: loop.delayP99Ms,
      generatorBusy: busy,
    };
    this.timeline.push(point);
    this.window.reset();
    this.lastTickMessages = this.messages - this.replayMessages;
    this.lastTickReplay = this.replayMessages;
    this.lastTickAt = now;
    return point;
  }
}

export interface LoadSummary {
  tool: 'odin load';
  mode: string;
  url: string;
  startedAt: string;
  durationSec: number;
  connections: {
    target: number;
    attempted: number;
    opened: number;
    failed: number;
    peakOpen: number;
    openAtEnd: number;
    errorsByCode: Record<string, number>;
    closesByCode: Record<string, number>;
  };
  /** Data messages: `received` = `live` + `replayed`; `perSec` is over the whole run. */
  messages: { received: number; live: number; replayed: number; perSec: number; frames: number; bytes: number };
  /** Publish-to-receive latency of live messages (replay excluded). */
  latencyMs: LatencyPercentiles;
  /** Age (`now - ts`) of replayed messages on arrival. */
  replayAgeMs: LatencyPercentiles;
  gaps: number;
  duplicates: number;
  gapExamples: GapEvent[];
  /** Connections reopened. */
  reconnects: number;
  /**
   * `connections`: reopened connections that asked to resume; `channels`: channels
   * they asked to resume in all, each answered `recovered` or `notRecovered`;
   * `replayed`: messages the server replayed for recovered channels.
   */
  resumes: { connections: number; channels: number; recovered: number; notRecovered: number; replayed: number };
  keepalives: { sent: number; pongs: number };
  /** Book channels: `verified` messages whose checksum matched the client's local book, `mismatches` that did not (a failure), `resyncs` books rebuilt from a fresh snapshot. */
  books: { verified: number; mismatches: number; resyncs: number };
  serverErrors: number;
  /** This load generator's own load (docs: README, "Load and benchmark"). */
  generator: GeneratorSummary;
  timeline: TimelinePoint[];
  realistic?: RealisticSummary;
}

/**
 * How busy the generator was over the run. `busy` (any busy second) flags
 * `latencyMs`: those figures include the generator's own queueing;
 * `latencyMsNotBusy` holds the live latency of the other seconds only (not
 * busy, nor right after a busy one).
 */
export interface GeneratorSummary extends GeneratorFigures {
  busy: boolean;
  /** Seconds of the timeline, and of those the busy ones. */
  seconds: number;
  busySeconds: number;
  /** Live messages whose latency was taken in a busy second or the second after one (its backlog). */
  liveWhileBusy: number;
  latencyMsNotBusy: LatencyPercentiles;
  /** "generator busy: ..." when `busy`, for the summary's latency line. */
  flag?: string;
}

export function generatorSummary(stats: LoadStats): GeneratorSummary {
  const seconds = stats.timeline.length;
  const busy = stats.busySeconds > 0;
  const live = stats.latency.count;
  return {
    ...stats.generator.finish(),
    busy,
    seconds,
    busySeconds: stats.busySeconds,
    liveWhileBusy: stats.liveWhileBusy,
    latencyMsNotBusy: stats.calmLatency.percentiles(),
    ...(busy ? { flag: `generator busy ${stats.busySeconds} of ${seconds} s: ${stats.liveWhileBusy} of ${live} live latencies were taken in or right after a busy second and include the generator's own queueing` } : {}),
  };
}

export interface RealisticSummary {
  timeScale: number;
  finalTarget: number;
  sessionsStarted: Record<string, number>;
  sessionsEnded: number;
  leftForGood: number;
  decisions: Array<{ t: number; action: string; target: number; reason: string }>;
}

export function summarize(stats: LoadStats, mode: string, url: string, target: number, openAtEnd: number): LoadSummary {
  const durationSec = Math.max(0.001, (Date.now() - stats.startedAt) / 1000);
  return {
    tool: 'odin load',
    mode,
    url,
    startedAt: new Date(stats.startedAt).toISOString(),
    durationSec: Math.round(durationSec * 10) / 10,
    connections: {
      target,
      attempted: stats.attempted,
      opened: stats.opened,
      failed: stats.failed,
      peakOpen: stats.peakOpen,
      openAtEnd,
      errorsByCode: Object.fromEntries(stats.errorsByCode),
      closesByCode: Object.fromEntries(stats.closesByCode),
    },
    messages: { received: stats.messages, live: stats.messages - stats.replayMessages, replayed: stats.replayMessages, perSec: Math.round(stats.messages / durationSec), frames: stats.frames, bytes: stats.bytes },
    latencyMs: stats.latency.percentiles(),
    replayAgeMs: stats.replayAge.percentiles(),
    gaps: stats.gaps,
    duplicates: stats.duplicates,
    gapExamples: stats.gapExamples,
    reconnects: stats.reconnects,
    resumes: { connections: stats.resumingConnections, channels: stats.resumeChannels, recovered: stats.resumesRecovered, notRecovered: stats.resumesNotRecovered, replayed: stats.replayed },
    keepalives: { sent: stats.keepalivesSent, pongs: stats.pongs },
    books: { verified: stats.bookVerified, mismatches: stats.bookMismatches, resyncs: stats.bookResyncs },
    serverErrors: stats.serverErrors,
    generator: generatorSummary(stats),
    timeline: stats.timeline,
  };
}
