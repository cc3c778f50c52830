// `--workers N`: N gateway processes on one port (node:cluster), so that one
// machine's cores all serve clients. Each worker is a whole gateway with its
// own NATS connection and live consumer; NATS makes them one system (shared
// positions, resume on any worker). The primary only forks, restarts crashed
// workers and forwards SIGTERM/SIGINT.
import cluster, { type Worker } from 'node:cluster';
import type { GatewayConfig } from '../config/gateway-options.js';
import { memoryBudget } from '../gateway/memory-budget.js';
import { createLogger, type Logger } from '../observability/logger.js';

/** A worker that dies sooner than this after its start is not restarted in a loop. */
const MIN_UPTIME_FOR_RESTART_MS = 5000;
const MIB = 1024 * 1024;

export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

/**
 * The primary: forks `config.workers` workers (they re-run this command and
 * find themselves workers), restarts one that crashes, and on SIGTERM/SIGINT
 * passes the signal on and exits 0 once every worker has exited.
 */
export function runClusterPrimary(config: GatewayConfig): void {
  const logger = createLogger(config.logLevel, { instance: config.instanceId, role: 'primary' });
  let stopping = false;
  const startedAt = new Map<number, number>();
  const fork = (): Worker => {
    const worker = cluster.fork();
    startedAt.set(worker.id, Date.now());
    return worker;
  };
  for (let i = 0; i < config.workers; i++) fork();
  logger.info({ event: 'gateway_cluster_started', workers: config.workers, port: config.port, pid: process.pid }, `forked ${config.workers} gateway workers`);

  cluster.on('exit', (worker, code, signal) => {
    const uptime = Date.now() - (startedAt.get(worker.id) ?? 0);
    startedAt.delete(worker.id);
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        logger.info({ event: 'gateway_cluster_stopped' }, 'every worker has exited');
        process.exit(0);
      }
      return;
    }
    const restart = uptime >= MIN_UPTIME_FOR_RESTART_MS;
    logger.error({ event: 'worker_exited', worker: worker.id, pid: worker.process.pid, code, signal, uptime_ms: uptime, restart }, 'gateway worker exited unexpectedly');
    if (restart) fork();
    else if (Object.keys(cluster.workers ?? {}).length === 0) {
      logger.fatal({ event: 'gateway_cluster_failed' }, 'workers keep failing at start; giving up');
      process.exit(1);
    }
  });

  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: 'signal', signal, workers: Object.keys(cluster.workers ?? {}).length }, `received ${signal}; stopping workers`);
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    if (workers.length === 0) process.exit(0);
    for (const worker of workers) worker.process.kill('SIGTERM');
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
