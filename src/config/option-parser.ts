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

/** Splits argv into `--flag value` / `--flag=value` / `--flag` pairs and positionals. */
export function parseArgv(argv: readonly string[]): { flags: Map<string, string | true>; positionals: string[] } {
  const flags = new Map<string, string | true>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
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
  return { flags, positionals };
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
 * Unknown flags are an error so that typos do not pass silently.
 */
export function resolveOptions<T extends OptionTable>(
  table: T,
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  extraFlags: readonly string[] = [],
): OptionValues<T> & { _positionals: string[] } {
  const { flags, positionals } = parseArgv(argv);
  const known = new Set<string>([...Object.values(table).map((s) => s.flag), ...extraFlags, 'help']);
  for (const flag of flags.keys()) {
    if (!known.has(flag)) throw new ConfigError(`unknown option --${flag}`);
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
