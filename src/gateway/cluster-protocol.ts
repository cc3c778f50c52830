// What the cluster primary and its gateway workers tell each other over the
// node:cluster IPC channel: a worker announces that it drains (so the
// primary forks its replacement at once), and the primary sends every worker
// the state of all of them (served in /readyz and metrics by each worker).
import cluster from 'node:cluster';

/**
 * starting: forked, not yet listening; up: listening; draining: asked its
 * clients to move and stopped accepting (a replacement is forked); restarting:
 * crashed, its replacement not yet listening; down: crashed too soon after its
 * start to be restarted.
 */
export type WorkerState = 'starting' | 'up' | 'draining' | 'restarting' | 'down';
export const WORKER_STATES: readonly WorkerState[] = ['starting', 'up', 'draining', 'restarting', 'down'];

export interface WorkerStatus {
  /** The worker's place in the cluster (1..N); a replacement takes the slot of the one it replaces. */
  slot: number;
  /** node:cluster worker id (a new one per fork); absent for a slot that is down. */
  worker?: number;
  pid?: number;
  state: WorkerState;
  /** Workers this slot has had forked after a crash or a drain. */
  restarts: number;
}

export type WorkerToPrimary = { odin: 'draining' } | { odin: 'up' };
export type PrimaryToWorker = { odin: 'cluster'; workers: WorkerStatus[] };

/** Worker side: tells the primary this worker drains (no-op outside a cluster). */
export function announceDraining(): void {
  if (cluster.isWorker && process.send) process.send({ odin: 'draining' } satisfies WorkerToPrimary);
}

/** Worker side: tells the primary this worker listens (no-op outside a cluster); with --reuse-port the primary sees no 'listening' of its own. */
export function announceUp(): void {
  if (cluster.isWorker && process.send) process.send({ odin: 'up' } satisfies WorkerToPrimary);
}

/** Worker side: calls `onView` with every state table the primary sends. */
export function onClusterView(onView: (workers: WorkerStatus[]) => void): void {
  process.on('message', (m: unknown) => {
    if (typeof m === 'object' && m !== null && (m as PrimaryToWorker).odin === 'cluster') onView((m as PrimaryToWorker).workers);
  });
}

export function workerMessage(m: unknown): WorkerToPrimary['odin'] | undefined {
  const odin = typeof m === 'object' && m !== null ? (m as { odin?: unknown }).odin : undefined;
  return odin === 'draining' || odin === 'up' ? odin : undefined;
}
