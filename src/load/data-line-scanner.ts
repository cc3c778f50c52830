// Reads the few fields the load tools need (channel, seq, prev, epoch, ts, and
// a conflated message's skipped)
// from a data message without JSON.parse of the whole message and its payload.
// The gateway writes these fields first and in a fixed order
// (src/protocol/data-message-encoder.ts); anything else falls back to JSON.parse,
// so a change in the encoder costs speed, never correctness.

export interface DataHeader {
  channel: string;
  seq: number;
  prev: number;
  epoch: string;
  ts: number;
  /** A conflated message: how many earlier messages of the channel it stands for (a declared skip, not a gap). */
  skipped?: number;
}

const PREFIX = '{"type":"message","channel":"';

/** True when a frame (or a line of it) holds data messages rather than a control answer. */
export function isDataText(text: string): boolean {
  return text.startsWith(PREFIX);
}

function numberAfter(line: string, key: string, from: number): [number, number] {
  const at = line.indexOf(key, from);
  if (at < 0) return [NaN, from];
  const start = at + key.length;
  let end = start;
  while (end < line.length) {
    const c = line.charCodeAt(end);
    if ((c < 48 || c > 57) && c !== 46 && c !== 45) break;
    end++;
  }
  return [Number(line.slice(start, end)), end];
}

/** The header of one data message line, or undefined when the line is not a data message. */
export function scanDataLine(line: string): DataHeader | undefined {
  if (line.startsWith(PREFIX)) {
    const channelEnd = line.indexOf('"', PREFIX.length);
    const [seq, afterSeq] = numberAfter(line, ',"seq":', channelEnd);
    const [prev, afterPrev] = numberAfter(line, ',"prev":', afterSeq);
    const epochStart = line.indexOf(',"epoch":"', afterPrev) + 10;
    const epochEnd = line.indexOf('"', epochStart);
    const [ts, afterTs] = numberAfter(line, ',"ts":', epochEnd);
    if (channelEnd > 0 && epochStart >= 10 && epochEnd > 0 && Number.isFinite(seq) && Number.isFinite(prev) && Number.isFinite(ts)) {
      const header: DataHeader = { channel: line.slice(PREFIX.length, channelEnd), seq, prev, epoch: line.slice(epochStart, epochEnd), ts };
      const skipped = skippedAfter(line, afterTs);
      if (skipped !== undefined) header.skipped = skipped;
      return header;
    }
  }
  return parseSlowly(line);
}

/** `skipped` where the encoder puts it, right after the event string; undefined when absent. */
function skippedAfter(line: string, afterTs: number): number | undefined {
  const EVENT = ',"event":"';
  if (!line.startsWith(EVENT, afterTs)) return undefined;
  let i = afterTs + EVENT.length;
  while (i < line.length && line.charCodeAt(i) !== 34) i += line.charCodeAt(i) === 92 ? 2 : 1;
  const SKIPPED = ',"skipped":';
  if (!line.startsWith(SKIPPED, i + 1)) return undefined;
  const [skipped] = numberAfter(line, SKIPPED, i + 1);
  return Number.isFinite(skipped) ? skipped : undefined;
}

function parseSlowly(line: string): DataHeader | undefined {
  try {
    const m = JSON.parse(line) as Partial<DataHeader> & { type?: string };
    if (m.type !== 'message' || typeof m.channel !== 'string' || typeof m.seq !== 'number') return undefined;
    return { channel: m.channel, seq: m.seq, prev: m.prev ?? 0, epoch: m.epoch ?? '', ts: m.ts ?? 0, ...(typeof m.skipped === 'number' ? { skipped: m.skipped } : {}) };
  } catch {
    return undefined;
  }
}

/** Calls `each` for every line of a batch frame (docs/protocol.md "Batches"). */
export function forEachLine(text: string, each: (line: string) => void): void {
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) {
      each(start === 0 ? text : text.slice(start));
      return;
    }
    each(text.slice(start, nl));
    start = nl + 1;
  }
}
