// Waiting for a condition on what a test client received: re-checked each
// time something arrives (wake), and at least every 200 ms, until a deadline.
// Shared by the WebSocket and the SSE test clients.
export class ArrivalWaiter {
  private waiters: Array<() => void> = [];

  /** Something arrived: every pending waitFor checks its condition again. */
  wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  async waitFor(condition: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}
