// The JetStream stream that holds Odin's history, and who may change it.
// One process owns its configuration (`--stream-owner`, or `odin stream
// apply`): it creates the stream or brings its limits up to its settings.
// Every other process only verifies: it creates the stream when it is absent
// (so a first run needs no extra step), but never changes an existing one,
// and refuses to start when the stream's limits differ from its own settings
// (one misconfigured process must not shrink everyone's retention). A limit
// the process did not set (flag or variable) is not an expectation: it adopts
// the stream's value, with a warning naming `odin stream apply`, so a stream
// created by an older version with smaller defaults does not stop every
// process after an upgrade.
// Also derives the epoch (history identity) from the stream's creation time.
import { JetStreamApiCodes, JetStreamApiError, StorageType, type JetStreamManager, type StreamConfig, type StreamInfo } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Logger } from '../observability/logger.js';

/** Every subject Odin serves lives under `odin.`. */
export const STREAM_SUBJECTS = ['odin.>'];

/** Retried publishes with the same msgId within this window are stored once. */
export const DUPLICATE_WINDOW_SEC = 120;

export interface StreamSettings {
  name: string;
  /** Messages kept per subject: JetStream's max_msgs_per_subject. */
  historySize: number;
  historyMaxAgeSec: number;
  replicas: number;
  storage: 'file' | 'memory';
  /** This process owns the stream's configuration: it updates an existing stream to these settings. Others only verify. */
  owner?: boolean;
  /**
   * Limits that come from defaults, not from a flag or variable. A process
   * that is not the owner adopts an existing stream's value of these instead
   * of refusing to start. Absent = every limit was given.
   */
  defaulted?: readonly DefaultableStreamLimit[];
}

/** The limits whose default a process may leave to the stream. */
export type DefaultableStreamLimit = 'historySize' | 'historyMaxAgeSec';

/** Which setting each JetStream field comes from, for the ones a process may leave to the stream. */
const FIELD_LIMIT: Record<string, DefaultableStreamLimit> = {
  max_msgs_per_subject: 'historySize',
  max_age: 'historyMaxAgeSec',
  duplicate_window: 'historyMaxAgeSec',
};

/** The differences a process that is not the owner refuses: those in limits it was given. The rest it adopts. */
export function refusedDifferences(differences: readonly StreamDifference[], settings: StreamSettings): StreamDifference[] {
  const defaulted = new Set(settings.defaulted ?? []);
  return differences.filter((d) => {
    const limit = FIELD_LIMIT[d.field];
    return limit === undefined || !defaulted.has(limit);
  });
}

/** The one line that says a defaulted process took the stream's limits, and how to upgrade them. */
export const ADOPT_HINT = 'this process was given no value for these and uses the stream\'s; to bring the stream to this version\'s defaults, run `odin stream apply --nats URL` (or start one process with --stream-owner)';

export class NatsStreamSetupError extends Error {
  override name = 'NatsStreamSetupError';
}

/**
 * The stream's configuration differs from this process's settings and this
 * process may not change it: a configuration error, never retried.
 */
export class StreamConfigMismatchError extends NatsStreamSetupError {
  override name = 'StreamConfigMismatchError';
  constructor(
    readonly stream: string,
    readonly differences: StreamDifference[],
    hint: string,
  ) {
    super(`stream ${stream} ${differences.map((d) => `has ${d.field} ${d.actual} where this process's ${d.setting} asks for ${d.wanted}`).join('; ')}. ${hint}`);
  }
}

/** One limit where the existing stream and this process's settings disagree. */
export interface StreamDifference {
  /** JetStream's name for it. */
  field: string;
  /** The flag (and variable) that sets it. */
  setting: string;
  actual: string;
  wanted: string;
}

const NOT_OWNER_HINT =
  'The stream belongs to the process started with --stream-owner (or to `odin stream apply`): give this process the same settings, or change the stream with `odin stream apply`.';

function limitsOf(s: StreamSettings): Partial<StreamConfig> {
  return {
    subjects: STREAM_SUBJECTS,
    max_msgs_per_subject: s.historySize,
    max_age: nanos(s.historyMaxAgeSec * 1000),
    // JetStream refuses a duplicate window longer than max_age.
    duplicate_window: nanos(duplicateWindowSec(s.historyMaxAgeSec) * 1000),
    num_replicas: s.replicas,
  };
}

function duplicateWindowSec(historyMaxAgeSec: number): number {
  return Math.min(DUPLICATE_WINDOW_SEC, historyMaxAgeSec);
}

function storageOf(c: StreamConfig): 'file' | 'memory' {
  return c.storage === StorageType.Memory ? 'memory' : 'file';
}

/** Where `config` differs from `settings` (duplicate_window follows the max age, so it is not listed apart unless only it differs). */
export function streamDifferences(config: StreamConfig, settings: StreamSettings): StreamDifference[] {
  const out: StreamDifference[] = [];
  const wanted = limitsOf(settings);
  const sec = (ns: number): string => `${ns / 1e9} s`;
  if (config.max_msgs_per_subject !== wanted.max_msgs_per_subject) {
    out.push({ field: 'max_msgs_per_subject', setting: '--history-size/HISTORY_SIZE', actual: String(config.max_msgs_per_subject), wanted: String(settings.historySize) });
  }
  if (config.max_age !== wanted.max_age) {
    out.push({ field: 'max_age', setting: '--history-max-age/HISTORY_MAX_AGE_SEC', actual: sec(config.max_age), wanted: `${settings.historyMaxAgeSec} s` });
  } else if (config.duplicate_window !== wanted.duplicate_window) {
    out.push({ field: 'duplicate_window', setting: '--history-max-age/HISTORY_MAX_AGE_SEC', actual: sec(config.duplicate_window), wanted: `${duplicateWindowSec(settings.historyMaxAgeSec)} s` });
  }
  if (config.num_replicas !== wanted.num_replicas) {
    out.push({ field: 'num_replicas', setting: '--nats-replicas/NATS_REPLICAS', actual: String(config.num_replicas), wanted: String(settings.replicas) });
  }
  if (storageOf(config) !== settings.storage) {
    out.push({ field: 'storage', setting: '--nats-storage/NATS_STORAGE', actual: storageOf(config), wanted: settings.storage });
  }
  if (!STREAM_SUBJECTS.every((s) => config.subjects?.includes(s))) {
    out.push({ field: 'subjects', setting: '(fixed)', actual: JSON.stringify(config.subjects ?? []), wanted: `to include ${JSON.stringify(STREAM_SUBJECTS)}` });
  }
  return out;
}

function isStreamNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound;
}

export async function findStream(jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(name);
  } catch (err) {
    if (isStreamNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * Creates the stream when it is absent (any process: the first run needs no
 * extra step); otherwise an owner brings it to `settings`, and anyone else
 * verifies it and throws StreamConfigMismatchError when it differs.
 * Returns its info. Other errors (JetStream not ready, no placement yet) are
 * thrown as they are: the caller retries them.
 */
export async function ensureStream(jsm: JetStreamManager, settings: StreamSettings, logger: Logger): Promise<StreamInfo> {
  let info = await findStream(jsm, settings.name);
  if (!info) {
    try {
      info = await jsm.streams.add({ name: settings.name, storage: settings.storage === 'memory' ? StorageType.Memory : StorageType.File, ...limitsOf(settings) });
      logger.info({ event: 'nats_stream_created', stream: settings.name, created: info.created, owner: settings.owner === true, ...settingsForLog(settings) }, 'JetStream stream created');
      return info;
    } catch (err) {
      // Another process may have created it a moment ago: verify (or apply to) that one.
      info = await findStream(jsm, settings.name);
      if (!info) throw new NatsStreamSetupError(`could not create stream ${settings.name}: ${String(err)}`, { cause: err });
    }
  }
  const differences = streamDifferences(info.config, settings);
  if (differences.length === 0) return info;
  if (settings.owner) return applyTo(jsm, info, settings, differences, logger);
  const refused = refusedDifferences(differences, settings);
  if (refused.length > 0) throw new StreamConfigMismatchError(settings.name, refused, NOT_OWNER_HINT);
  logger.warn(
    { event: 'nats_stream_limits_adopted', stream: settings.name, adopted: differences.map((d) => `${d.field}: ${d.actual} (default ${d.wanted}, ${d.setting})`) },
    `stream ${settings.name}'s limits differ from this version's defaults: ${ADOPT_HINT}`,
  );
  return info;
}

/** The owner's step: the existing stream takes `settings`' limits. Storage cannot change on a live stream. */
async function applyTo(jsm: JetStreamManager, info: StreamInfo, settings: StreamSettings, differences: StreamDifference[], logger: Logger): Promise<StreamInfo> {
  const storage = differences.find((d) => d.field === 'storage');
  if (storage) {
    throw new StreamConfigMismatchError(settings.name, [storage], 'JetStream cannot change the storage of an existing stream: keep its storage, or delete the stream (its history is lost) and start again.');
  }
  const c = info.config;
  let updated: StreamInfo;
  try {
    updated = await jsm.streams.update(settings.name, { ...c, ...limitsOf(settings), subjects: [...new Set([...(c.subjects ?? []), ...STREAM_SUBJECTS])] });
  } catch (err) {
    throw new NatsStreamSetupError(`could not update stream ${settings.name} to ${JSON.stringify(settingsForLog(settings))}: ${String(err)}`, { cause: err });
  }
  // Loud on purpose: every other process's expectations change with this.
  logger.warn(
    { event: 'nats_stream_updated', stream: settings.name, changes: differences.map((d) => `${d.field}: ${d.actual} -> ${d.wanted}`), ...settingsForLog(settings) },
    'JetStream stream limits updated by this process (the stream owner)',
  );
  return updated;
}

function settingsForLog(s: StreamSettings): Record<string, unknown> {
  return { history_size: s.historySize, history_max_age_sec: s.historyMaxAgeSec, replicas: s.replicas, storage: s.storage };
}

/**
 * The epoch: the stream's creation time (with its nanoseconds) in base 36.
 * Every instance reads the same value; a recreated stream gets a new one.
 */
export function epochFromCreated(created: string): string {
  const digits = created.replace(/[^0-9]/g, '');
  if (digits.length === 0) throw new NatsStreamSetupError(`stream creation time ${JSON.stringify(created)} has no digits`);
  return BigInt(digits).toString(36);
}
