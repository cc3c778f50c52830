// The messages between `odin bench` and each system's server child (over
// Node's IPC channel). Every server child runs the same loop: report ready,
// then publish at the rate it is told, until the parent goes away.
import { PublishPacer, type PublishOne } from './publish-pacer.js';

export type ParentToServer =
  | { type: 'rate'; perSec: number; channels: string[] }
  | { type: 'burst'; channel: string; count: number }
  | { type: 'count' }
  | { type: 'gc' }
  | { type: 'slow-stats' };

export type ServerToParent =
  | { type: 'ready'; port: number }
  | { type: 'published'; total: number; perChannel: number[] }
  | { type: 'burst-done'; before: number; epoch: string; last?: number }
  | { type: 'gc-done' }
  | { type: 'slow-stats'; stats: SlowClientStats }
  | { type: 'error'; message: string };

/** What Odin's slow-client policy did so far (its own counters: a client sees a switch or a close only after its backlog). */
export interface SlowClientStats {
  /** Subscriptions switched to conflation (ws_slow_subscriptions_conflated_total). */
  conflated: number;
  /** Connections closed with 4000 (ws_slow_clients_disconnected_total). */
  closed: number;
  /** Open connections (ws_connections_active). */
  active: number;
}

export function sendToParent(message: ServerToParent): void {
  process.send?.(message);
}

/**
 * Runs a server child's control loop. `beforeBurst` lets a system report the
 * position before a burst (Odin, for resume). The child exits when the parent
 * disconnects, so a crashed benchmark leaves no server behind.
 */
export function serveParent(
  publish: PublishOne,
  options: {
    beforeBurst?: (channel: string) => { before: number; epoch: string };
    /** A burst of the system's own (Odin over NATS: every message acknowledged and taken in before burst-done), in place of the pacer's. */
    burst?: (pacer: PublishPacer, channel: string, count: number) => Promise<{ before: number; epoch: string; last: number }>;
    slowStats?: () => Promise<SlowClientStats>;
  } = {},
): PublishPacer {
  const pacer = new PublishPacer(publish);
  process.on('message', (raw: unknown) => {
    const m = raw as ParentToServer;
    if (m.type === 'rate') pacer.setRate(m.perSec, m.channels);
    else if (m.type === 'count') sendToParent({ type: 'published', total: pacer.published, perChannel: pacer.publishedPerChannel() });
    else if (m.type === 'gc') {
      // RSS is compared after a full collection, so garbage is not counted as connection cost.
      (globalThis as { gc?: () => void }).gc?.();
      sendToParent({ type: 'gc-done' });
    }
    else if (m.type === 'slow-stats') {
      void (options.slowStats?.() ?? Promise.resolve({ conflated: 0, closed: 0, active: 0 })).then((stats) => sendToParent({ type: 'slow-stats', stats }));
    }
    else if (m.type === 'burst' && options.burst) {
      options.burst(pacer, m.channel, m.count).then(
        (done) => sendToParent({ type: 'burst-done', ...done }),
        (err: unknown) => sendToParent({ type: 'error', message: `burst failed: ${String(err)}` }),
      );
    }
    else if (m.type === 'burst') {
      const position = options.beforeBurst?.(m.channel) ?? { before: 0, epoch: '' };
      pacer.burst(m.channel, m.count);
      sendToParent({ type: 'burst-done', ...position });
    }
  });
  process.on('disconnect', () => process.exit(0));
  return pacer;
}
