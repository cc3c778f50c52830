// Secrets given as flags are visible to every user of the machine (`ps`,
// /proc/<pid>/cmdline). They still work, but the process says so once.
import type { Logger } from '../observability/logger.js';

const SECRET_FLAGS = ['--jwt-secret', '--nats-password', '--nats-token', '--control-token', '--api-key'];

/** The secret-bearing flags present in `argv`. */
export function secretFlagsGiven(argv: readonly string[] = process.argv): string[] {
  return SECRET_FLAGS.filter((flag) => argv.some((a) => a === flag || a.startsWith(`${flag}=`)));
}

function warning(given: readonly string[]): string {
  return `${given.join(', ')} on the command line can be read by any local user (ps): use the environment variable or the -file option`;
}

export function warnAboutSecretFlags(logger: Logger, argv: readonly string[] = process.argv): void {
  const given = secretFlagsGiven(argv);
  if (given.length === 0) return;
  logger.warn({ event: 'secret_on_command_line', flags: given }, warning(given));
}

/** For commands without a logger (odin publish, odin load api-publish): the same warning on stderr. */
export function warnAboutSecretFlagsOnStderr(argv: readonly string[] = process.argv): void {
  const given = secretFlagsGiven(argv);
  if (given.length > 0) process.stderr.write(`odin: warning: ${warning(given)}\n`);
}
