// /health, in the reference gateway's shape and with its thresholds, so that
// its load tools and checks keep working. HTTP 200 when healthy or degraded,
// 503 when unhealthy.

export const HEALTH_THRESHOLDS = {
  capacity: { warn: 80, error: 95 },
  memory: { warn: 80, error: 90 },
  cpu: { warn: 70, error: 90 },
} as const;

export interface HealthInputs {
  brokerKind: string;
  brokerConnected: boolean;
  /** The broker has not finished starting: why (undefined once started). */
  brokerStarting?: string | undefined;
  /** Messages the live consumer has not delivered yet (NATS). */
  brokerLag: number;
  /** The live consumer is behind for longer than its window. */
  brokerBehind: boolean;
  connections: number;
  maxConnections: number;
  rssBytes: number;
  memoryLimitBytes: number;
  cpuPercent: number;
  eventLoopUtilization: number;
  uptimeSec: number;
  instanceId: string;
  shuttingDown: boolean;
}

export interface HealthReport {
  status: 'healthy' | 'degraded' | 'unhealthy';
  healthy: boolean;
  checks: {
    nats: { status: string; healthy: boolean; broker: string; consumer_lag: number; behind: boolean };
    capacity: { current: number; max: number; percentage: number; healthy: boolean };
    memory: { used_mb: number; limit_mb: number; percentage: number; healthy: boolean };
    cpu: { percentage: number; healthy: boolean };
    event_loop: { utilization: number };
  };
  warnings: string[];
  errors: string[];
  uptime: number;
  instance: string;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

export function healthReport(h: HealthInputs): HealthReport {
  const warnings: string[] = [];
  const errors: string[] = [];
  const grade = (name: string, value: number, t: { warn: number; error: number }): boolean => {
    if (value >= t.error) errors.push(`${name} at ${round1(value)}% (error threshold ${t.error}%)`);
    else if (value >= t.warn) warnings.push(`${name} at ${round1(value)}% (warning threshold ${t.warn}%)`);
    return value < t.error;
  };
  const capacityPct = h.maxConnections > 0 ? (h.connections / h.maxConnections) * 100 : 0;
  const memoryPct = h.memoryLimitBytes > 0 ? (h.rssBytes / h.memoryLimitBytes) * 100 : 0;
  const capacityOk = grade('capacity', capacityPct, HEALTH_THRESHOLDS.capacity);
  const memoryOk = grade('memory', memoryPct, HEALTH_THRESHOLDS.memory);
  const cpuOk = grade('cpu', h.cpuPercent, HEALTH_THRESHOLDS.cpu);
  if (h.brokerStarting !== undefined) errors.push(`${h.brokerKind === 'nats' ? 'NATS' : 'broker'} starting: ${h.brokerStarting}`);
  else if (!h.brokerConnected) errors.push(`${h.brokerKind === 'nats' ? 'NATS' : 'broker'} disconnected`);
  else if (h.brokerBehind) errors.push(`NATS live consumer behind the stream by ${h.brokerLag} messages and not catching up`);
  if (h.shuttingDown) errors.push('shutting down');
  const status = errors.length > 0 ? 'unhealthy' : warnings.length > 0 ? 'degraded' : 'healthy';
  return {
    status,
    healthy: status !== 'unhealthy',
    checks: {
      nats: {
        status: h.brokerStarting !== undefined ? 'starting' : h.brokerConnected ? 'connected' : 'disconnected',
        healthy: h.brokerConnected && h.brokerStarting === undefined && !h.brokerBehind,
        broker: h.brokerKind,
        consumer_lag: h.brokerLag,
        behind: h.brokerBehind,
      },
      capacity: { current: h.connections, max: h.maxConnections, percentage: round1(capacityPct), healthy: capacityOk },
      memory: { used_mb: round1(h.rssBytes / 1048576), limit_mb: round1(h.memoryLimitBytes / 1048576), percentage: round1(memoryPct), healthy: memoryOk },
      cpu: { percentage: round1(h.cpuPercent), healthy: cpuOk },
      event_loop: { utilization: h.eventLoopUtilization },
    },
    warnings,
    errors,
    uptime: round1(h.uptimeSec),
    instance: h.instanceId,
  };
}
