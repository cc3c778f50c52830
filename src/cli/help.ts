// Help texts of the CLI: every command says what it does, lists its options
// in groups (a table of 60 options in one list is unreadable) and shows
// examples written as the docs write them (`npx odin ...`, from the repository).
import { describeOptions, type OptionSpec, type OptionTable } from '../config/option-parser.js';

export interface HelpSection {
  title: string;
  table: OptionTable;
}

export interface CommandHelp {
  /** Usage lines without the leading "usage: ". */
  usage: string[];
  /** What the command does, a paragraph or two. */
  description: string;
  sections: HelpSection[];
  /** Example command lines; a `# ...` tail explains the line. */
  examples: string[];
}

export function renderHelp(help: CommandHelp): string {
  const usage = help.usage.map((line, i) => `${i === 0 ? 'usage: ' : '       '}${line}`).join('\n');
  const sections = help.sections
    .filter((s) => Object.keys(s.table).length > 0)
    .map((s) => `${s.title}:\n${describeOptions(s.table)}`)
    .join('\n\n');
  const examples = help.examples.map((e) => `  ${e}`).join('\n');
  return `${usage}\n\n${help.description.trim()}\n\n${sections}\n\nexamples:\n${examples}\n\nEach option can also be set by the environment variable shown beside it (a flag wins).\n`;
}

/** A group of options: a title and the test of whether a flag belongs to it. */
export interface OptionGroup {
  title: string;
  has: (flag: string) => boolean;
}

const prefixed = (...prefixes: string[]) => (flag: string): boolean => prefixes.some((p) => flag === p || flag.startsWith(`${p}-`));
const named = (...flags: string[]) => (flag: string): boolean => flags.includes(flag);

/** The gateway's options by concern; an option no group claims lands in "other options", so a new one is never hidden. */
export const GATEWAY_GROUPS: OptionGroup[] = [
  { title: 'listening and processes', has: named('port', 'host', 'workers', 'reuse-port', 'instance-id', 'log-level', 'log-format', 'shutdown-timeout-ms', 'drain-seconds') },
  { title: 'broker (NATS/JetStream) and history', has: (f) => prefixed('nats', 'history', 'stream')(f) || f === 'max-channels' },
  { title: 'channels and identity (JWT)', has: (f) => prefixed('jwt')(f) || named('default-channels', 'public-channels', 'channel-families', 'auth-required', 'allowed-origins')(f) },
  { title: 'server API (/api/)', has: prefixed('api') },
  { title: 'observability', has: prefixed('metrics') },
  {
    title: 'client limits and capacity',
    has: (f) =>
      prefixed('max', 'compression', 'rate-limit', 'abuse', 'connect', 'memory-limit', 'connection-budget', 'handshake', 'ping')(f) ||
      f === 'compression',
  },
];

/** Splits `table` into titled sections by `groups`, in the groups' order; leftovers go to "other options". */
export function groupOptions(table: OptionTable, groups: readonly OptionGroup[], otherTitle = 'other options'): HelpSection[] {
  const sections: HelpSection[] = groups.map((g) => ({ title: g.title, table: {} }));
  const other: OptionTable = {};
  for (const [name, spec] of Object.entries<OptionSpec>(table)) {
    const i = groups.findIndex((g) => g.has(spec.flag));
    if (i >= 0) sections[i]!.table[name] = spec;
    else other[name] = spec;
  }
  return [...sections, { title: otherTitle, table: other }];
}
