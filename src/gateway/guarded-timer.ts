// Timers whose callback can never throw out of the event loop: a throw in a
// setInterval callback is an uncaught exception and kills the process (the
// resource sampler did exactly that when the process ran out of file
// descriptors). The error goes to a handler that counts and logs it instead.

export type TimerErrorHandler = (timer: string, err: unknown) => void;

/** setInterval, unref'd, with every call of `tick` guarded. */
export function guardedInterval(timer: string, intervalMs: number, tick: () => void, onError: TimerErrorHandler): NodeJS.Timeout {
  const handle = setInterval(() => {
    try {
      tick();
    } catch (err) {
      reportSafely(onError, timer, err);
    }
  }, intervalMs);
  handle.unref();
  return handle;
}

function reportSafely(onError: TimerErrorHandler, timer: string, err: unknown): void {
  try {
    onError(timer, err);
  } catch {
    // The reporter itself failed (logging under EMFILE): nothing safer left to do.
  }
}
