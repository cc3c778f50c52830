// Secrets given as flags are visible to every user of the machine (`ps`,
// /proc/<pid>/cmdline). They still work, but the process says so once and
// names what to use instead: the command's own environment variable (and its
// -file option where there is one), read from the command's option table so
// that the advice cannot drift from the options.
import type { Logger } from '../observability/logger.js';
import type { OptionTable } from '../config/option-parser.js';

/** Every flag that carries a secret itself (file options carry a path, not a secret). */
export const SECRET_FLAGS: readonly string[] = ['--jwt-secret', '--nats-password', '--nats-token', '--control-token', '--api-key'];

/** The secret-bearing flags present in `argv`. */
export function secretFlagsGiven(argv: readonly string[] = process.argv): string[] {
  return SECRET_FLAGS.filter((flag) => argv.some((a) => a === flag || a.startsWith(`${flag}=`)));
}

/** What to use instead of `flag` in the command of `table`: its variable, and its -file option if any. */
export function secretFlagAdvice(flag: string, table: OptionTable): { variable: string | undefined; file: string | undefined } {
  const specs = Object.values(table);
  const spec = specs.find((s) => `--${s.flag}` === flag);
  const file = specs.find((s) => `--${s.flag}` === `${flag}-file`);
  return { variable: spec?.env, file: file ? `--${file.flag}` : undefined };
}

/** The warning for the secret flags `given` to the command of `table`; never the secret itself. */
export function secretFlagWarning(given: readonly string[], table: OptionTable): string {
  const instead = given.map((flag) => {
    const { variable, file } = secretFlagAdvice(flag, table);
    const use = [variable, file].filter((u) => u !== undefined);
    return `${use.length > 0 ? use.join(' or ') : 'its environment variable'} instead of ${flag}`;
  });
  return `${given.join(', ')} on the command line can be read by any local user (ps): set ${instead.join('; ')}`;
}

export function warnAboutSecretFlags(logger: Logger, table: OptionTable, argv: readonly string[] = process.argv): void {
  const given = secretFlagsGiven(argv);
  if (given.length === 0) return;
  const variables = given.map((flag) => secretFlagAdvice(flag, table).variable).filter((v) => v !== undefined);
  logger.warn({ event: 'secret_on_command_line', flags: given, variables }, secretFlagWarning(given, table));
}

/** For commands without a logger (odin publish, odin load api-publish, odin token, odin stream): the same warning on stderr. */
export function warnAboutSecretFlagsOnStderr(table: OptionTable, argv: readonly string[] = process.argv): void {
  const given = secretFlagsGiven(argv);
  if (given.length > 0) process.stderr.write(`odin: warning: ${secretFlagWarning(given, table)}\n`);
}
