// Channel names, wildcard patterns and their mapping to NATS subjects.
// A channel is a NATS subject without the `odin.` prefix.

export const SUBJECT_PREFIX = 'odin.';
export const MAX_CHANNEL_LENGTH = 128;
export const MAX_CHANNEL_TOKENS = 8;
const TOKEN_RE = /^[A-Za-z0-9_-]+$/;

export type ChannelCheck = { ok: true; wildcard: boolean } | { ok: false; reason: string };

/** Validates a channel name or a NATS-style pattern (`*` = one token, `>` = the rest). */
export function checkChannel(name: unknown): ChannelCheck {
  if (typeof name !== 'string') return { ok: false, reason: 'channel must be a string' };
  if (name.length === 0 || name.length > MAX_CHANNEL_LENGTH) {
    return { ok: false, reason: `channel must be 1 to ${MAX_CHANNEL_LENGTH} characters` };
  }
  const tokens = name.split('.');
  if (tokens.length > MAX_CHANNEL_TOKENS) return { ok: false, reason: `channel has more than ${MAX_CHANNEL_TOKENS} tokens` };
  let wildcard = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === '*') wildcard = true;
    else if (t === '>') {
      if (i !== tokens.length - 1) return { ok: false, reason: "'>' may only be the last token" };
      wildcard = true;
    } else if (!TOKEN_RE.test(t)) {
      return { ok: false, reason: `token ${JSON.stringify(t)} must match [A-Za-z0-9_-]+` };
    }
  }
  return { ok: true, wildcard };
}

/** True when the concrete `channel` matches `pattern` (NATS semantics). */
export function channelMatches(pattern: string, channel: string): boolean {
  if (pattern === channel) return true;
  const p = pattern.split('.');
  const c = channel.split('.');
  for (let i = 0; i < p.length; i++) {
    const pt = p[i]!;
    if (pt === '>') return c.length > i;
    if (i >= c.length) return false;
    if (pt !== '*' && pt !== c[i]) return false;
  }
  return p.length === c.length;
}

/** True when some concrete channel matches both patterns (or names). */
export function patternsIntersect(a: string, b: string): boolean {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; ; i++) {
    const s = x[i];
    const t = y[i];
    if (s === '>' ) return t !== undefined;
    if (t === '>') return s !== undefined;
    if (s === undefined || t === undefined) return s === t;
    if (s !== '*' && t !== '*' && s !== t) return false;
  }
}

export function channelToSubject(channel: string): string {
  return SUBJECT_PREFIX + channel;
}

export function subjectToChannel(subject: string): string | undefined {
  return subject.startsWith(SUBJECT_PREFIX) ? subject.slice(SUBJECT_PREFIX.length) : undefined;
}

/**
 * May `user` subscribe to `pattern`? A concrete private channel needs the
 * owner; a pattern must not be able to match anyone's private channel except
 * when its user token is literally the caller's id.
 */
export function mayRead(pattern: string, user: string | null): boolean {
  const t = pattern.split('.');
  // Could this pattern match a channel `trades.user.X`?
  const couldMatch = (i: number, literal: string): boolean => {
    const pt = t[i];
    return pt === undefined ? false : pt === '>' || pt === '*' || pt === literal;
  };
  const reachesPrivate =
    t[0] === '>' ||
    (couldMatch(0, 'trades') && (t[1] === '>' || (couldMatch(1, 'user') && (t[2] !== undefined || false))));
  if (!reachesPrivate) return true;
  // t[2] is the id position (or t[1]/t[0] was '>')
  if (t[0] === '>' || t[1] === '>') return false;
  const idToken = t[2]!;
  if (idToken === '*' || idToken === '>') return false;
  if (t.length !== 3) return true; // deeper channels are not private channels
  return user !== null && idToken === user;
}

/** True when every concrete channel `inner` can match is matched by `outer` too. */
export function patternCovers(outer: string, inner: string): boolean {
  const x = outer.split('.');
  const y = inner.split('.');
  for (let i = 0; ; i++) {
    const s = x[i];
    const t = y[i];
    if (s === '>') return t !== undefined;
    if (s === undefined || t === undefined) return s === t;
    if (t === '>') return false;
    if (s === '*') continue;
    if (t === '*' || s !== t) return false;
  }
}

/** Is `pattern` exactly the caller's own private channel `trades.user.<user>`? */
function isOwnPrivate(pattern: string, user: string | null): boolean {
  return user !== null && pattern === `trades.user.${user}`;
}

/**
 * Read permission with grants: the private-channel rule of `mayRead` first
 * (no grant can widen it), then the caller's own private channel, then the
 * channels every admitted connection may read (`--public-channels`) or the
 * token's `channels` claim adds.
 */
export function mayReadWith(pattern: string, user: string | null, publicChannels: readonly string[], grants: readonly string[]): boolean {
  if (!mayRead(pattern, user)) return false;
  if (isOwnPrivate(pattern, user)) return true;
  for (const allowed of publicChannels) if (patternCovers(allowed, pattern)) return true;
  for (const allowed of grants) if (patternCovers(allowed, pattern)) return true;
  return false;
}

// Which channel names a gateway carries. A name that starts with `odin.` is
// the NATS subject, not a channel (channels are named without the prefix): it
// is never valid. A gateway carries the channel families of --channel-families,
// by default the documented `token.*.price,market.statistics,trades.user.*,book.*`,
// and answers a name that falls in none of them, a misspelling such as
// `tokens.BTC.price`, with UNKNOWN_CHANNEL instead of a subscription that never
// delivers (`>` carries any name).

/** The families docs/protocol.md documents: a gateway's --channel-families by default. */
export const DOCUMENTED_CHANNEL_FAMILIES: readonly string[] = ['token.*.price', 'market.statistics', 'trades.user.*', 'book.*'];

const PREFIX_TOKEN = SUBJECT_PREFIX.slice(0, -1);

/**
 * Why `pattern` (a valid channel name or pattern) names no channel the gateway
 * carries, or undefined when it may. A pattern is known when it can match a
 * channel of some family.
 */
export function unknownChannelReason(pattern: string, families: readonly string[]): string | undefined {
  if (pattern.split('.')[0] === PREFIX_TOKEN) {
    return `channels are named without the NATS prefix "${SUBJECT_PREFIX}": ${JSON.stringify(pattern.slice(SUBJECT_PREFIX.length))}, not ${JSON.stringify(pattern)}`;
  }
  if (families.some((family) => patternsIntersect(pattern, family))) return undefined;
  return `no channel of this gateway's families (${families.join(', ')}) matches it`;
}

/** For a concrete channel (a publish): undefined when it may be published. */
export function unknownPublishChannelReason(channel: string, families: readonly string[]): string | undefined {
  if (channel.split('.')[0] === PREFIX_TOKEN) return unknownChannelReason(channel, families);
  if (families.some((family) => channelMatches(family, channel))) return undefined;
  return `the channel is in none of this gateway's families (${families.join(', ')})`;
}
