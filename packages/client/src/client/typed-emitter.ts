// A small typed event emitter that works the same in browsers and Node.
// A listener that throws does not stop the others: its error goes to `onListenerError`.

type Listener<A extends unknown[]> = (...args: A) => void;
/** Stored listeners lose their event's argument types; `emit` restores them. */
type AnyListener = (...args: unknown[]) => void;

export class TypedEmitter<Events extends { [K in keyof Events]: unknown[] }> {
  private readonly listeners = new Map<keyof Events, Set<AnyListener>>();

  constructor(private readonly onListenerError: (err: unknown) => void = () => undefined) {}

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as unknown as AnyListener);
    return () => this.off(event, listener);
  }

  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void {
    this.listeners.get(event)?.delete(listener as unknown as AnyListener);
  }

  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as unknown as Listener<Events[K]>)(...args);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }
}
