// NATS-style channel patterns (`*` one token, `>` the rest), as the gateway
// matches them; repeated here so the SDK has no server imports.

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
