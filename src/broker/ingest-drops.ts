// Messages the NATS ingest drops because their subject is not a valid channel
// name (anyone who may publish on `odin.>` can choose any subject). The broker
// code that sees them has no metrics: it reports here, and each gateway in the
// process listens and counts them in its own registry.

export type InvalidSubjectListener = (subject: string) => void;

const listeners = new Set<InvalidSubjectListener>();

/** Called by the ingest for every dropped message. */
export function reportInvalidSubject(subject: string): void {
  for (const listener of listeners) listener(subject);
}

/** Listens until the returned function is called. */
export function onInvalidSubject(listener: InvalidSubjectListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
