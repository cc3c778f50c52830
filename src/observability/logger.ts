// The one logger: pino JSON lines on stdout. Every line carries an `event`
// field naming what happened (docs/operations.md lists them), which is what
// the Loki dashboards and alerts select on.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { service: 'odin', ...base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
