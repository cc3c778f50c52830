// The one logger: pino lines on stdout. Every line carries an `event` field
// naming what happened (docs/operations.md lists them), which is what the
// Loki dashboards and alerts select on. Lines are JSON, except on a terminal
// (or with --log-format pretty), where pino-pretty writes one readable line
// per record: a person reads a terminal, a program reads a pipe or a file.
import { pino, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';

export type { Logger };

/** --log-format/LOG_FORMAT: `auto` is pretty on a terminal, JSON otherwise. */
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** What `format` means for this process's stdout. */
export function resolveLogFormat(format: string, stdoutIsTty: boolean = process.stdout.isTTY === true): 'json' | 'pretty' {
  return format === 'pretty' || (format === 'auto' && stdoutIsTty) ? 'pretty' : 'json';
}

/**
 * `base` binds fields to every line. `component` is given once per line: a
 * child logger adds it (`logger.child({ component })`) to a root logger
 * without one, since pino writes a child's binding beside the parent's
 * rather than replacing it (a duplicate key in the JSON).
 */
export function createLogger(level: string, base: Record<string, unknown> = {}, format: string = 'json'): Logger {
  const options = {
    level,
    base: { service: 'odin', ...base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (resolveLogFormat(format) === 'json') return pino(options);
  // Synchronous, in this thread: a line logged just before process.exit() is still written.
  const pretty = pinoPretty({
    sync: true,
    colorize: pinoPretty.isColorSupported,
    singleLine: true,
    translateTime: 'HH:MM:ss.l',
    // Fields every line carries; `event` and the rest stay, after the message.
    ignore: 'service,instance',
  });
  return pino(options, pretty);
}
