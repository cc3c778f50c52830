// Which wildcard patterns match a channel, cached per channel for the
// fan-out path. Channels can be unbounded in number (one per user, per
// listing), so the cache is bounded: past PATTERN_CACHE_MAX channels the
// least recently added one is forgotten (a miss costs one pass over the
// patterns, which are few). Cleared whenever the set of patterns changes.
import { channelMatches } from '@odin-gateway/client/channels';

export const PATTERN_CACHE_MAX = 4096;

export class PatternCache {
  private readonly byChannel = new Map<string, string[]>();

  constructor(private readonly max = PATTERN_CACHE_MAX) {}

  get size(): number {
    return this.byChannel.size;
  }

  /** The patterns among `patterns` that match `channel`. */
  matching(channel: string, patterns: Iterable<string>): string[] {
    let list = this.byChannel.get(channel);
    if (list) return list;
    list = [];
    for (const pattern of patterns) if (channelMatches(pattern, channel)) list.push(pattern);
    if (this.byChannel.size >= this.max) this.byChannel.delete(this.byChannel.keys().next().value!);
    this.byChannel.set(channel, list);
    return list;
  }

  clear(): void {
    this.byChannel.clear();
  }
}
