// Which channels each benchmark client subscribes to, by name. One channel
// per client: round-robin, so every channel has the same audience. Several
// per client (the portfolio scenario): each client picks its channels with a
// Zipf-like skew, like traders' watch lists, where a few instruments are on
// almost every list and most are on few; the choice is seeded, so every
// system gets the very same plan.

/** Channel k (0-based) is picked with weight 1 / (k + 1)^skew; 0 = uniform. */
export interface PlanShape {
  clients: number;
  channels: readonly string[];
  perClient: number;
  skew: number;
  seed?: number;
}

/** mulberry32: small, fast, good enough to shuffle a benchmark deterministically. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The channels of every client: `perClient` distinct names each. */
export function subscriptionPlan(shape: PlanShape): string[][] {
  const { clients, channels, perClient, skew } = shape;
  if (perClient < 1 || perClient > channels.length) throw new Error(`a client can take 1 to ${channels.length} channels, not ${perClient}`);
  if (skew === 0) {
    // Round-robin: client i starts at channel i*perClient, so audiences stay equal.
    return Array.from({ length: clients }, (_, i) => Array.from({ length: perClient }, (_, k) => channels[(i * perClient + k) % channels.length]!));
  }
  const random = seededRandom(shape.seed ?? 1);
  const weights = channels.map((_, k) => 1 / Math.pow(k + 1, skew));
  const plan: string[][] = [];
  for (let c = 0; c < clients; c++) {
    // Weighted draws without replacement: a picked channel leaves the pool.
    const pool = weights.map((w, k) => ({ k, w }));
    let total = pool.reduce((s, p) => s + p.w, 0);
    const picked: string[] = [];
    while (picked.length < perClient) {
      let r = random() * total;
      let i = 0;
      while (i < pool.length - 1 && r >= pool[i]!.w) r -= pool[i++]!.w;
      const [chosen] = pool.splice(i, 1);
      total -= chosen!.w;
      picked.push(channels[chosen!.k]!);
    }
    plan.push(picked);
  }
  return plan;
}

/** Subscribers per channel, in the order of `channels`. */
export function audiences(plan: readonly (readonly string[])[], channels: readonly string[]): number[] {
  const index = new Map(channels.map((c, i) => [c, i]));
  const counts = channels.map(() => 0);
  for (const client of plan) for (const channel of client) counts[index.get(channel)!]!++;
  return counts;
}

/**
 * Watch lists of varying length: client i takes between `min` and `max`
 * distinct channels (seeded, uniform in count and in choice), as the scale
 * course's realistic minute wants ("each client on 1 to 10 of them").
 */
export function varyingPlan(shape: { clients: number; channels: readonly string[]; min: number; max: number; seed?: number }): string[][] {
  const { clients, channels, min, max } = shape;
  if (min < 1 || max < min || max > channels.length) throw new Error(`a client can take 1 to ${channels.length} channels, not ${min} to ${max}`);
  const random = seededRandom(shape.seed ?? 7);
  const plan: string[][] = [];
  for (let c = 0; c < clients; c++) {
    const count = min + Math.floor(random() * (max - min + 1));
    const picked = new Set<string>();
    while (picked.size < count) picked.add(channels[Math.floor(random() * channels.length)]!);
    plan.push([...picked]);
  }
  return plan;
}
