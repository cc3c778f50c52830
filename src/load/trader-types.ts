// The realistic simulation's population: the reference's trader types, their
// shares and session lengths. Sampling takes the random source as a parameter
// so that tests can pin it.

export interface TraderType {
  name: 'quick' | 'active' | 'day' | 'long_holder' | 'bot';
  share: number;
  minSessionMs: number;
  maxSessionMs: number;
  /** How many channels such a trader watches (bots watch everything). */
  channels: 'few' | 'all';
}

const S = 1000;
const M = 60 * S;
const H = 60 * M;

export const TRADER_TYPES: readonly TraderType[] = [
  { name: 'quick', share: 0.2, minSessionMs: 30 * S, maxSessionMs: 5 * M, channels: 'few' },
  { name: 'active', share: 0.35, minSessionMs: 5 * M, maxSessionMs: 30 * M, channels: 'few' },
  { name: 'day', share: 0.3, minSessionMs: 30 * M, maxSessionMs: 4 * H, channels: 'few' },
  { name: 'long_holder', share: 0.1, minSessionMs: 4 * H, maxSessionMs: 8 * H, channels: 'few' },
  { name: 'bot', share: 0.05, minSessionMs: 24 * H, maxSessionMs: 48 * H, channels: 'all' },
];

export type TraderName = TraderType['name'];

/** Picks a trader type by share. `random` returns [0, 1). */
export function sampleTraderType(random: () => number = Math.random, types: readonly TraderType[] = TRADER_TYPES): TraderType {
  let r = random() * types.reduce((sum, t) => sum + t.share, 0);
  for (const t of types) {
    r -= t.share;
    if (r < 0) return t;
  }
  return types[types.length - 1]!;
}

/** A session length for `type`, uniform in its range, scaled by `timeScale` (1 = real time). */
export function sampleSessionMs(type: TraderType, timeScale: number, random: () => number = Math.random): number {
  return (type.minSessionMs + random() * (type.maxSessionMs - type.minSessionMs)) * timeScale;
}

/** With probability `share`, one of `bookChannels` for a client to follow besides its channels (none when the list is empty). */
export function sampleBookChannels(bookChannels: readonly string[], share: number, random: () => number = Math.random): string[] {
  if (bookChannels.length === 0 || random() >= share) return [];
  return [bookChannels[Math.floor(random() * bookChannels.length)]!];
}

/** The channels a trader watches: bots all of them, others 1 to 3 picked at random. */
export function sampleChannels(type: TraderType, channels: readonly string[], random: () => number = Math.random): string[] {
  if (type.channels === 'all' || channels.length <= 1) return [...channels];
  const want = Math.min(channels.length, 1 + Math.floor(random() * 3));
  const pool = [...channels];
  const picked: string[] = [];
  while (picked.length < want) picked.push(pool.splice(Math.floor(random() * pool.length), 1)[0]!);
  return picked;
}
