// The JetStream stream that holds Odin's history: created when absent, its
// limits updated when present, so that every gateway instance can start first.
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
}

export class NatsStreamSetupError extends Error {
  override name = 'NatsStreamSetupError';
}

function limitsOf(s: StreamSettings): Partial<StreamConfig> {
  return {
    subjects: STREAM_SUBJECTS,
    max_msgs_per_subject: s.historySize,
    max_age: nanos(s.historyMaxAgeSec * 1000),
    // JetStream refuses a duplicate window longer than max_age.
    duplicate_window: nanos(Math.min(DUPLICATE_WINDOW_SEC, s.historyMaxAgeSec) * 1000),
    num_replicas: s.replicas,
  };
}

function isStreamNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound;
}

/** Creates the stream or brings its limits up to `settings`; returns its info. */
export async function ensureStream(jsm: JetStreamManager, settings: StreamSettings, logger: Logger): Promise<StreamInfo> {
  const wanted = limitsOf(settings);
  let info: StreamInfo | undefined;
  try {
    info = await jsm.streams.info(settings.name);
  } catch (err) {
    if (!isStreamNotFound(err)) throw err;
  }
  if (!info) {
    try {
      info = await jsm.streams.add({
        name: settings.name,
        storage: settings.storage === 'memory' ? StorageType.Memory : StorageType.File,
        ...wanted,
      });
      logger.info({ event: 'nats_stream_created', stream: settings.name, created: info.created, ...settingsForLog(settings) }, 'JetStream stream created');
      return info;
    } catch (err) {
      // Another gateway may have created it a moment ago: fall through to update.
      info = await jsm.streams.info(settings.name).catch(() => {
        throw new NatsStreamSetupError(`could not create stream ${settings.name}: ${String(err)}`);
      });
    }
  }
  const c = info.config;
  if ((c.storage === StorageType.Memory ? 'memory' : 'file') !== settings.storage) {
    // Storage cannot change on a live stream; history stays where it is.
    logger.warn({ event: 'nats_stream_storage_mismatch', stream: settings.name, existing: c.storage, wanted: settings.storage }, 'stream storage differs from configuration; keeping the existing one');
  }
  const differs =
    c.max_msgs_per_subject !== wanted.max_msgs_per_subject ||
    c.max_age !== wanted.max_age ||
    c.duplicate_window !== wanted.duplicate_window ||
    c.num_replicas !== wanted.num_replicas ||
    !STREAM_SUBJECTS.every((s) => c.subjects?.includes(s));
  if (!differs) return info;
  try {
    info = await jsm.streams.update(settings.name, { ...c, ...wanted, subjects: [...new Set([...(c.subjects ?? []), ...STREAM_SUBJECTS])] });
  } catch (err) {
    throw new NatsStreamSetupError(`could not update stream ${settings.name} to ${JSON.stringify(settingsForLog(settings))}: ${String(err)}`);
  }
  logger.info({ event: 'nats_stream_updated', stream: settings.name, ...settingsForLog(settings) }, 'JetStream stream limits updated');
  return info;
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
