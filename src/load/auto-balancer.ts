// The realistic simulation's controller decisions, as pure functions:
// how many connections it aims for (peak hours, bounds) and how the target
// moves with the gateway's /health and the generator's own load. The
// reference only grew while ramping up; here growth applies whenever the
// gateway has headroom, ramp or not, and the generator itself is not the
// bottleneck: a busy generator holds, an overloaded one sheds (its latency
// figures would measure itself, not the gateway).
import { describeGenerator, isGeneratorBusy, isGeneratorOverloaded, type GeneratorFigures } from './generator-monitor.js';

export const BALANCE_RULES = {
  shedFraction: 0.1,
  growFraction: 0.05,
  shedCpuPercent: 85,
  shedMemoryPercent: 90,
  shedErrorRate: 0.05,
  growCpuPercent: 50,
  growMemoryPercent: 60,
  peakStartHourUtc: 13,
  peakEndHourUtc: 20,
  peakMultiplier: 1.5,
} as const;

/** The part of GET /health (docs: reference shape) the balancer reads. */
export interface HealthSnapshot {
  healthy: boolean;
  status?: string;
  checks?: { cpu?: { percentage?: number }; memory?: { percentage?: number } };
}

export interface BalanceInput {
  /** undefined when /health could not be read: counts as unhealthy. */
  health: HealthSnapshot | undefined;
  /** Connection attempts that failed / attempts, over the last balancing period. */
  errorRate: number;
  target: number;
  min: number;
  max: number;
  /** This generator's own event loop over the balancing period; absent = not measured. */
  generator?: GeneratorFigures;
}

export type BalanceAction = 'shed' | 'grow' | 'hold';

export interface BalanceDecision {
  action: BalanceAction;
  target: number;
  reason: string;
}

export function decideBalance(input: BalanceInput): BalanceDecision {
  const { health, errorRate, target, min, max, generator } = input;
  const cpu = health?.checks?.cpu?.percentage ?? 0;
  const memory = health?.checks?.memory?.percentage ?? 0;
  const clamp = (n: number): number => Math.max(min, Math.min(max, Math.round(n)));
  const stress = !health
    ? 'health unreadable'
    : !health.healthy || health.status === 'unhealthy'
      ? 'gateway unhealthy'
      : cpu > BALANCE_RULES.shedCpuPercent
        ? `cpu ${cpu}% > ${BALANCE_RULES.shedCpuPercent}%`
        : memory > BALANCE_RULES.shedMemoryPercent
          ? `memory ${memory}% > ${BALANCE_RULES.shedMemoryPercent}%`
          : errorRate > BALANCE_RULES.shedErrorRate
            ? `error rate ${(errorRate * 100).toFixed(1)}% > ${BALANCE_RULES.shedErrorRate * 100}%`
            : generator && isGeneratorOverloaded(generator)
              ? `generator overloaded: ${describeGenerator(generator)}`
              : undefined;
  if (stress) {
    const next = clamp(target * (1 - BALANCE_RULES.shedFraction));
    return next < target ? { action: 'shed', target: next, reason: stress } : { action: 'hold', target, reason: `${stress}; at minimum` };
  }
  if (generator && isGeneratorBusy(generator)) return { action: 'hold', target, reason: `generator busy: ${describeGenerator(generator)}` };
  if (cpu < BALANCE_RULES.growCpuPercent && memory < BALANCE_RULES.growMemoryPercent) {
    const next = clamp(Math.max(target + 1, target * (1 + BALANCE_RULES.growFraction)));
    return next > target ? { action: 'grow', target: next, reason: `headroom: cpu ${cpu}%, memory ${memory}%` } : { action: 'hold', target, reason: 'headroom; at maximum' };
  }
  return { action: 'hold', target, reason: `cpu ${cpu}%, memory ${memory}%` };
}

export function isPeakHour(at: Date): boolean {
  const h = at.getUTCHours();
  return h >= BALANCE_RULES.peakStartHourUtc && h < BALANCE_RULES.peakEndHourUtc;
}

/** Connections wanted now: the balanced target, times 1.5 in peak hours, within [min, max]. */
export function desiredConnections(target: number, at: Date, min: number, max: number): number {
  const wanted = isPeakHour(at) ? target * BALANCE_RULES.peakMultiplier : target;
  return Math.max(min, Math.min(max, Math.round(wanted)));
}

/** How many connections to open or close this ramp tick: at most `step` opened, surplus closed at once. */
export function rampStep(active: number, desired: number, step: number): number {
  if (active < desired) return Math.min(step, desired - active);
  return desired - active;
}
