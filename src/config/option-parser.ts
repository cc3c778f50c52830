// The one place where command-line flags and environment variables become
// typed, validated settings. Each part (gateway, publisher, load, bench)
// declares its options as a table; this module resolves flag > env > default
// and names the option and the offending value when something is wrong.

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Kind = 'int' | 'number' | 'string' | 'bool' | 'list';

interface OptionBase<K extends Kind, T> {
  kind: K;
  /** Long flag without dashes, e.g. `port` for `--port`. */
  flag: string;
  /** Environment variable, e.g. `PORT`. */
  env?: string;
  default: T;
  description: string;
  min?: number;
  max?: number;
  choices?: readonly string[];
}

export type OptionSpec =
  | OptionBase<'int', number | undefined>
  | OptionBase<'number', number | undefined>
  | OptionBase<'string', string | undefined>
  | OptionBase<'bool', boolean>
  | OptionBase<'list', string[]>;

export type OptionTable = Record<string, OptionSpec>;

type ValueOf<S extends OptionSpec> = S['default'] extends boolean
  ? boolean
  : S['default'] extends string[]
    ? string[]
    : S extends { kind: 'int' | 'number' }
      ? S['default'] extends number ? number : number | undefined
      : S['default'] extends string ? string : string | undefined;

export type OptionValues<T extends OptionTable> = { [K in keyof T]: ValueOf<T[K]> };

/**
 * Splits argv into `--flag value` / `--flag=value` / `--flag` pairs and
 * positionals. Single-dash words (`-addr`, `-h`) are kept apart: no option is
 * spelt that way, and taking them for positionals would let `-port 80` pass silently.
 */
export function parseArgv(argv: readonly string[]): { flags: Map<string, string | true>; positionals: string[]; singleDash: string[] } {
  const flags = new Map<string, string | true>();
  const positionals: string[] = [];
  const singleDash: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      // A lone '-' is a value (stdout); '-5' is a number.
      if (arg.length > 1 && arg.startsWith('-') && !Number.isFinite(Number(arg))) singleDash.push(arg);
      else positionals.push(arg);
      continue;
    }
    const body = arg.slice(2);
    const eq = body.indexOf('=');
    if (eq >= 0) {
      flags.set(body.slice(0, eq), body.slice(eq + 1));
    } else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) {
      flags.set(body, argv[++i]!);
    } else {
      flags.set(body, true);
    }
  }
  return { flags, positionals, singleDash };
}

/** Levenshtein distance, for suggesting the flag a typo meant. */
export function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}

/** The known flag closest to `name` (a prefix wins), or undefined when none is close. */
export function closestFlag(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const flag of known) {
    const d = flag.startsWith(name) && name.length >= 3 ? 0.5 : editDistance(name, flag);
    if (d < bestDistance) {
      best = flag;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** The reference gateway's Go-style flags, named with the Odin flags that replace them (docs/migrating.md). */
const REFERENCE_FLAGS: Record<string, string> = {
  addr: '--port and --host (-addr :3004 is --port 3004)',
  nats: '--nats',
};

function unknownOption(written: string, known: Set<string>): ConfigError {
  const name = written.replace(/^-+/, '').split('=')[0]!;
  const reference = written.startsWith('--') ? undefined : REFERENCE_FLAGS[name];
  if (reference !== undefined) return new ConfigError(`unknown option ${written}: the reference gateway's flag; use ${reference}`);
  const suggestion = closestFlag(name, known);
  return new ConfigError(`unknown option ${written}${suggestion ? ` (did you mean --${suggestion}?)` : ''}`);
}

function convert(name: string, spec: OptionSpec, raw: string | true): unknown {
  const where = `--${spec.flag}${spec.env ? `/${spec.env}` : ''}`;
  switch (spec.kind) {
    case 'bool': {
      if (raw === true) return true;
      const v = raw.toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
      throw new ConfigError(`${where}: expected true or false, got ${JSON.stringify(raw)}`);
    }
    case 'int':
    case 'number': {
      if (raw === true) throw new ConfigError(`${where}: a value is required`);
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n) || (spec.kind === 'int' && !Number.isInteger(n))) {
        throw new ConfigError(`${where}: expected ${spec.kind === 'int' ? 'an integer' : 'a number'}, got ${JSON.stringify(raw)}`);
      }
      if (spec.min !== undefined && n < spec.min) throw new ConfigError(`${where}: must be at least ${spec.min}, got ${n}`);
      if (spec.max !== undefined && n > spec.max) throw new ConfigError(`${where}: must be at most ${spec.max}, got ${n}`);
      return n;
    }
    case 'string': {
      if (raw === true) throw new ConfigError(`${where}: a value is required`);
      if (spec.choices && !spec.choices.includes(raw)) {
        throw new ConfigError(`${where}: must be one of ${spec.choices.join(', ')}, got ${JSON.stringify(raw)}`);
      }
      return raw;
    }
    case 'list': {
      if (raw === true) throw new ConfigError(`${where}: a value is required`);
      return raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    }
  }
  throw new ConfigError(`option ${name}: unknown kind`);
}

/**
 * Resolves every option of `table`: flag, then environment, then default.
 * Unknown flags and stray arguments are an error (exit status 2, naming the
 * flag and the closest known one) so that typos do not pass silently.
 */
export function resolveOptions<T extends OptionTable>(
  table: T,
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  extraFlags: readonly string[] = [],
  maxPositionals = 0,
): OptionValues<T> & { _positionals: string[] } {
  const { flags, positionals, singleDash } = parseArgv(argv);
  const known = new Set<string>([...Object.values(table).map((s) => s.flag), ...extraFlags, 'help']);
  for (const flag of flags.keys()) {
    if (!known.has(flag)) throw unknownOption(`--${flag}`, known);
  }
  const dashed = singleDash[0];
  if (dashed !== undefined) throw unknownOption(dashed, known);
  if (positionals.length > maxPositionals) {
    throw new ConfigError(`unexpected argument ${JSON.stringify(positionals[maxPositionals])}${maxPositionals === 0 ? ': options are spelt --name value' : ''}`);
  }
  const out: Record<string, unknown> = { _positionals: positionals };
  for (const [name, spec] of Object.entries(table)) {
    const fromFlag = flags.get(spec.flag);
    const fromEnv = spec.env ? env[spec.env] : undefined;
    if (fromFlag !== undefined) out[name] = convert(name, spec, fromFlag);
    else if (fromEnv !== undefined && fromEnv !== '') out[name] = convert(name, spec, fromEnv);
    else out[name] = spec.default;
  }
  return out as OptionValues<T> & { _positionals: string[] };
}

/** A help text listing every option with its env variable and default. */
export function describeOptions(table: OptionTable): string {
  const rows = Object.values(table).map((s) => {
    // A description that states its own default ("[default: from the preset]") says it better than "(none)".
    if (s.description.includes('[default:')) return `  --${s.flag.padEnd(24)} ${(s.env ?? '').padEnd(26)} ${s.description}`;
    const def = Array.isArray(s.default) ? s.default.join(',') || '(none)' : s.default === undefined ? '(none)' : String(s.default);
    return `  --${s.flag.padEnd(24)} ${(s.env ?? '').padEnd(26)} ${s.description} [default: ${def}]`;
  });
  return rows.join('\n');
}
