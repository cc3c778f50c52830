// Secrets given as flags are visible to every user of the machine (`ps`,
// /proc/<pid>/cmdline). They still work, but the process says so once.
import type { Logger } from '../observability/logger.js';

const SECRET_FLAGS = ['--jwt-secret', '--nats-password', '--nats-token', '--control-token'];

export function warnAboutSecretFlags(logger: Logger, argv: readonly string[] = process.argv): void {
  const given = SECRET_FLAGS.filter((flag) => argv.some((a) => a === flag || a.startsWith(`${flag}=`)));
  if (given.length === 0) return;
  logger.warn(
    { event: 'secret_on_command_line', flags: given },
    `${given.join(', ')} on the command line can be read by any local user (ps): use the environment variable or the -file option`,
  );
}
