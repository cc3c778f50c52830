// `--workers N`: N gateway processes on one port (node:cluster), so that one
// machine's cores all serve clients. Each worker is a whole gateway with its
// own NATS connection and live consumer; NATS makes them one system (shared
// positions, resume on any worker). The primary only forks, keeps every
// worker slot filled (replacing drained and crashed workers), tells the
// workers each other's state and forwards SIGTERM/SIGINT.
import cluster, { type Worker } from 'node:cluster';
import type { GatewayConfig } from '../config/gateway-options.js';
import { memoryBudget } from '../gateway/memory-budget.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { brokerFacts, startLine } from './start-line.js';
import { workerMessage, type PrimaryToWorker, type WorkerState, type WorkerStatus } from '../gateway/cluster-protocol.js';

/** A worker that dies sooner than this after its start is not restarted in a loop. */
const MIN_UPTIME_FOR_RESTART_MS = 5000;
const MIB = 1024 * 1024;

export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

/** One place in the cluster, held by one worker at a time (its replacements after a crash or a drain take it over). */
interface Slot {
  slot: number;
  worker: Worker | undefined;
  state: WorkerState;
  startedAt: number;
  restarts: number;
}

/**
 * The primary: forks `config.workers` workers (they re-run this command and
 * find themselves workers) and keeps each slot filled. A worker that drains
 * (SIGTERM on the worker: a rolling restart) is replaced at once, so its
 * clients have somewhere to move; one that crashes is replaced (unless it
 * died within 5 s of its start). Every change of state is sent to every
 * worker (/readyz, `ws_cluster_workers`). SIGTERM drains every worker,
 * SIGINT stops them at once; the primary exits 0 once all have exited.
 */
export function runClusterPrimary(config: GatewayConfig): void {
  const logger = createLogger(config.logLevel, { instance: config.instanceId, role: 'primary' }, config.logFormat);
  let stopping = false;
  /** The start line is logged once, when every worker first listens. */
  let announced = false;
  const slots: Slot[] = [];
  /** Workers that left their slot to drain, until they exit. */
  const draining = new Map<number, { worker: Worker; slot: number }>();
  const slotOf = (worker: Worker): Slot | undefined => slots.find((s) => s.worker === worker);

  const table = (): WorkerStatus[] => [
    ...slots.map((s) => ({ slot: s.slot, ...(s.worker ? { worker: s.worker.id, pid: s.worker.process.pid } : {}), state: s.state, restarts: s.restarts })),
    ...[...draining.values()].map((d) => ({ slot: d.slot, worker: d.worker.id, pid: d.worker.process.pid, state: 'draining' as const, restarts: slots[d.slot - 1]?.restarts ?? 0 })),
  ];
  const broadcast = (): void => {
    const message: PrimaryToWorker = { odin: 'cluster', workers: table() };
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (worker?.isConnected()) worker.send(message, undefined, () => undefined);
    }
  };
  const fork = (slot: Slot, state: 'starting' | 'restarting'): void => {
    const worker = cluster.fork({ ODIN_WORKER_SLOT: String(slot.slot) });
    slot.worker = worker;
    slot.state = state;
    slot.startedAt = Date.now();
    worker.on('message', (m: unknown) => {
      const kind = workerMessage(m);
      if (kind === 'draining') onDraining(worker);
      else if (kind === 'up') onUp(worker);
    });
  };
  const onDraining = (worker: Worker): void => {
    const slot = slotOf(worker);
    if (!slot) return;
    draining.set(worker.id, { worker, slot: slot.slot });
    slot.worker = undefined;
    logger.info({ event: 'worker_draining', worker: worker.id, pid: worker.process.pid, slot: slot.slot, replace: !stopping }, 'gateway worker drains');
    if (!stopping) {
      slot.restarts++;
      fork(slot, 'starting');
    }
    broadcast();
  };

  /** The worker said it listens (after gateway.start(): its NATS connection is up too). */
  function onUp(worker: Worker): void {
    const slot = slotOf(worker);
    if (!slot || slot.state === 'up') return;
    slot.state = 'up';
    logger.info({ event: 'worker_up', worker: worker.id, pid: worker.process.pid, slot: slot.slot }, 'gateway worker listening');
    if (!announced && slots.every((s) => s.state === 'up')) {
      announced = true;
      const ws = `ws://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}/ws`;
      const line = startLine('gateway', { text: `listening ${ws} with ${config.workers} workers`, fields: { ws, workers: config.workers } }, brokerFacts(config));
      logger.info(line.fields, line.msg);
    }
    broadcast();
  }

  for (let i = 1; i <= config.workers; i++) {
    const slot: Slot = { slot: i, worker: undefined, state: 'starting', startedAt: 0, restarts: 0 };
    slots.push(slot);
    fork(slot, 'starting');
  }
  logger.info({ event: 'gateway_cluster_started', workers: config.workers, port: config.port, pid: process.pid }, `forked ${config.workers} gateway workers`);


  cluster.on('exit', (worker, code, signal) => {
    const wasDraining = draining.delete(worker.id);
    const slot = slotOf(worker);
    if (stopping) {
      if (slot) slot.worker = undefined;
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        logger.info({ event: 'gateway_cluster_stopped' }, 'every worker has exited');
        process.exit(0);
      }
      return;
    }
    if (wasDraining || !slot) {
      logger.info({ event: 'worker_drained', worker: worker.id, pid: worker.process.pid, code, signal }, 'a drained gateway worker exited');
      broadcast();
      return;
    }
    const uptime = Date.now() - slot.startedAt;
    const restart = uptime >= MIN_UPTIME_FOR_RESTART_MS;
    slot.worker = undefined;
    logger.error({ event: 'worker_exited', worker: worker.id, pid: worker.process.pid, slot: slot.slot, code, signal, uptime_ms: uptime, restart }, 'gateway worker exited unexpectedly');
    if (restart) {
      slot.restarts++;
      fork(slot, 'restarting');
    } else {
      slot.state = 'down';
      if (slots.every((s) => s.state === 'down') && draining.size === 0) {
        logger.fatal({ event: 'gateway_cluster_failed' }, 'workers keep failing at start; giving up');
        process.exit(1);
      }
    }
    broadcast();
  });

  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: 'signal', signal, workers: Object.keys(cluster.workers ?? {}).length }, `received ${signal}; ${signal === 'SIGTERM' ? 'draining' : 'stopping'} workers`);
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    if (workers.length === 0) process.exit(0);
    // SIGTERM: each worker drains (clients asked to move over --drain-seconds); SIGINT: each stops at once.
    for (const worker of workers) worker.process.kill(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * A worker's share of the configuration: its own instance id, and an equal
 * part of the machine's memory budget and connection limit, so that /health
 * and the capacity checks of all workers add up to the machine's.
 */
export function workerConfig(config: GatewayConfig, logger?: Logger): GatewayConfig {
  const id = cluster.worker?.id ?? 0;
  const budget = memoryBudget(config.memoryLimitMb);
  const share: GatewayConfig = {
    ...config,
    instanceId: `${config.instanceId}-w${id}`,
    memoryLimitMb: Math.max(1, Math.floor(budget.limitBytes / config.workers / MIB)),
    maxConnections: config.maxConnections > 0 ? Math.ceil(config.maxConnections / config.workers) : 0,
  };
  logger?.debug({ event: 'worker_config', worker: id, memory_limit_mb: share.memoryLimitMb }, 'worker share of the budget');
  return share;
}
