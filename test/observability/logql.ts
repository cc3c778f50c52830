// Just enough LogQL to check the logs dashboard against real log lines: a
// stream selector, `| json`, label filters on extracted fields and line
// filters, optionally wrapped in a range aggregation such as
// `sum by (event) (count_over_time(<log query> [1m]))`. Anything else is a
// parse error, so a query this file does not understand fails the test
// instead of passing unchecked.

export type MatchOp = '=' | '!=' | '=~' | '!~';
export interface Matcher {
  label: string;
  op: MatchOp;
  value: string;
}
export type Stage = { kind: 'json' } | { kind: 'label'; matcher: Matcher } | { kind: 'line'; op: '|=' | '!=' | '|~' | '!~'; value: string };

export interface LogQuery {
  selector: Matcher[];
  stages: Stage[];
  /** The range aggregation around it, if any (e.g. count_over_time). */
  rangeFunction?: string;
}

const STRING = /^"((?:[^"\\]|\\.)*)"/;

function readString(s: string, at: number): [string, number] {
  const m = STRING.exec(s.slice(at));
  if (!m) throw new Error(`LogQL: expected a string at ${at}: ${s.slice(at, at + 30)}`);
  return [JSON.parse(`"${m[1]}"`) as string, at + m[0].length];
}

function skipSpaces(s: string, at: number): number {
  while (at < s.length && /\s/.test(s[at]!)) at++;
  return at;
}

function readMatcher(s: string, at: number): [Matcher, number] {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*/.exec(s.slice(at));
  if (!m) throw new Error(`LogQL: expected a label matcher at ${at}: ${s.slice(at, at + 30)}`);
  const [value, next] = readString(s, at + m[0].length);
  return [{ label: m[1]!, op: m[2] as MatchOp, value }, next];
}

function parseSelector(s: string, at: number): [Matcher[], number] {
  if (s[at] !== '{') throw new Error(`LogQL: expected { at ${at}`);
  const matchers: Matcher[] = [];
  at = skipSpaces(s, at + 1);
  while (s[at] !== '}') {
    const [m, next] = readMatcher(s, at);
    matchers.push(m);
    at = skipSpaces(s, next);
    if (s[at] === ',') at = skipSpaces(s, at + 1);
    else if (s[at] !== '}') throw new Error(`LogQL: expected , or } at ${at}`);
  }
  return [matchers, at + 1];
}

function parsePipeline(s: string, at: number, end: number): Stage[] {
  const stages: Stage[] = [];
  for (;;) {
    at = skipSpaces(s, at);
    if (at >= end) return stages;
    const two = s.slice(at, at + 2);
    if (two === '|=' || two === '!=' || two === '|~' || two === '!~') {
      const [value, next] = readString(s, skipSpaces(s, at + 2));
      stages.push({ kind: 'line', op: two, value });
      at = next;
      continue;
    }
    if (s[at] !== '|') throw new Error(`LogQL: expected a pipeline stage at ${at}: ${s.slice(at, at + 30)}`);
    at = skipSpaces(s, at + 1);
    if (/^json\b/.test(s.slice(at))) {
      stages.push({ kind: 'json' });
      at += 4;
      continue;
    }
    const [matcher, next] = readMatcher(s, at);
    stages.push({ kind: 'label', matcher });
    at = next;
  }
}

/** Parses a log query or a range aggregation over one. */
export function parseLogQL(query: string): LogQuery {
  const q = query.trim();
  const agg = /^(?:(?:sum|count|max|min|avg|topk)\s*(?:by\s*\([^)]*\)\s*)?\(\s*)?(count_over_time|rate|bytes_over_time|bytes_rate)\(/.exec(q);
  if (agg) {
    const start = agg[0].length;
    const range = q.lastIndexOf('[');
    if (range < start) throw new Error(`LogQL: range aggregation without [range]: ${q}`);
    const [selector, after] = parseSelector(q, skipSpaces(q, start));
    return { selector, stages: parsePipeline(q, after, range), rangeFunction: agg[1] };
  }
  const [selector, after] = parseSelector(q, 0);
  return { selector, stages: parsePipeline(q, after, q.length) };
}

/** Loki's regex matchers are anchored at both ends. */
export function matches(op: MatchOp, actual: string | undefined, expected: string): boolean {
  const value = actual ?? '';
  switch (op) {
    case '=':
      return value === expected;
    case '!=':
      return value !== expected;
    case '=~':
      return new RegExp(`^(?:${expected})$`).test(value);
    case '!~':
      return !new RegExp(`^(?:${expected})$`).test(value);
  }
}

/** Loki's json stage: nested keys joined with `_`, every value a string. */
export function jsonLabels(line: string): Record<string, string> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const out: Record<string, string> = {};
  const walk = (obj: Record<string, unknown>, prefix: string): void => {
    for (const [k, v] of Object.entries(obj)) {
      const key = `${prefix}${k.replace(/[^A-Za-z0-9_]/g, '_')}`;
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) walk(v as Record<string, unknown>, `${key}_`);
      else out[key] = typeof v === 'string' ? v : JSON.stringify(v);
    }
  };
  walk(parsed as Record<string, unknown>, '');
  return out;
}

/** Does one raw log line of a stream with `streamLabels` pass the query? */
export function lineMatches(q: LogQuery, streamLabels: Record<string, string>, line: string): boolean {
  if (!q.selector.every((m) => matches(m.op, streamLabels[m.label], m.value))) return false;
  let labels: Record<string, string> = { ...streamLabels };
  for (const stage of q.stages) {
    if (stage.kind === 'json') {
      const extracted = jsonLabels(line);
      if (!extracted) return false; // a JSONParserErr line: dropped by any label filter after it
      labels = { ...extracted, ...labels };
    } else if (stage.kind === 'label') {
      if (!matches(stage.matcher.op, labels[stage.matcher.label], stage.matcher.value)) return false;
    } else {
      const contains = stage.op === '|=' || stage.op === '!=' ? line.includes(stage.value) : new RegExp(stage.value).test(line);
      if ((stage.op === '|=' || stage.op === '|~') !== contains) return false;
    }
  }
  return true;
}

/** Literal names in a filter value: `a|b|c` -> [a, b, c]; a real regex part (`shutdown_.+`) is returned as is. */
export function alternatives(value: string): string[] {
  return value.split('|');
}
