// A deploy's drain: each client is asked to move at its own random moment
// within the drain time, so the instance's clients reconnect elsewhere in a
// trickle instead of all at one instant (which would land as a connection
// storm on the instances that remain).

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `act` once for every item, each at a uniformly random moment within
 * `spreadMs` (all at once when it is 0). Resolves after the last one, or as
 * soon as `nothingLeft()` says there is no one left to ask.
 */
export async function spreadOver<T>(items: Iterable<T>, spreadMs: number, act: (item: T) => void, nothingLeft: () => boolean, random: () => number = Math.random): Promise<void> {
  if (spreadMs <= 0) {
    for (const item of items) act(item);
    return;
  }
  const due = Array.from(items, (item) => ({ item, at: random() * spreadMs })).sort((a, b) => a.at - b.at);
  const started = Date.now();
  let next = 0;
  while (next < due.length && !nothingLeft()) {
    const elapsed = Date.now() - started;
    while (next < due.length && due[next]!.at <= elapsed) act(due[next++]!.item);
    if (next < due.length) await sleep(due[next]!.at - elapsed);
  }
}
