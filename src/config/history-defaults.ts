// How much history is kept when no flag or variable says: per broker. The
// memory broker keeps a small ring per channel inside the gateway's own
// memory (bounded again by --history-max-bytes); over NATS, JetStream keeps
// history on disk, so long recovery is the default there: 100,000 messages
// per channel and 30 minutes (docs/operations.md, "Sizing the stream").
import type { DefaultableStreamLimit } from '../broker/nats-stream-setup.js';

export const MEMORY_HISTORY_DEFAULTS = { historySize: 1000, historyMaxAgeSec: 600 } as const;
export const NATS_HISTORY_DEFAULTS = { historySize: 100_000, historyMaxAgeSec: 1800 } as const;

export interface HistoryLimits {
  historySize: number;
  historyMaxAgeSec: number;
  /**
   * The limits taken from these defaults (not given by flag or variable).
   * Over NATS, an existing stream's value of such a limit is adopted instead
   * of refused (a stream created by an older version keeps working).
   */
  historyDefaulted: DefaultableStreamLimit[];
}

/** The limits in effect: what was given, else the broker's defaults (NATS when a URL is given). */
export function historyLimits(given: { natsUrl: string | undefined; historySize: number | undefined; historyMaxAgeSec: number | undefined }): HistoryLimits {
  const defaults = given.natsUrl !== undefined ? NATS_HISTORY_DEFAULTS : MEMORY_HISTORY_DEFAULTS;
  const historyDefaulted: DefaultableStreamLimit[] = [];
  if (given.historySize === undefined) historyDefaulted.push('historySize');
  if (given.historyMaxAgeSec === undefined) historyDefaulted.push('historyMaxAgeSec');
  return {
    historySize: given.historySize ?? defaults.historySize,
    historyMaxAgeSec: given.historyMaxAgeSec ?? defaults.historyMaxAgeSec,
    historyDefaulted,
  };
}

/** For option descriptions: the default of one limit, per broker. */
export function describeHistoryDefault(limit: DefaultableStreamLimit): string {
  return `[default: ${MEMORY_HISTORY_DEFAULTS[limit]} with the memory broker, ${NATS_HISTORY_DEFAULTS[limit]} over NATS]`;
}
