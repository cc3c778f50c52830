// `odin load attack --attack KIND`: well-behaved clients (the stress run's)
// beside hostile ones. The bystanders' summary (latency, gaps, closes) is
// the verdict on the attack; the attackers' counts say what the gateway did.
// The attackers run in a worker thread of their own (attack-worker.ts).
import { Worker } from 'node:worker_threads';
import type { AttackKind } from '../config/load-options.js';
import type { AttackOptions, AttackSummary } from './attackers.js';
import type { LoadSummary } from './load-stats.js';
import { runStress, type StressOptions } from './stress-run.js';

export type AttackRunSummary = LoadSummary & { attack: AttackSummary };

export interface AttackRunOptions extends StressOptions {
  attack: AttackKind;
  attackers: number;
  /** Seconds the bystanders run alone before the attack starts (their baseline connections are open by then). */
  attackDelaySec: number;
}

export async function runAttack(options: AttackRunOptions): Promise<AttackRunSummary> {
  let worker: Worker | undefined;
  const delay = setTimeout(() => {
    const attack: AttackOptions = { kind: options.attack, url: options.url, attackers: options.attackers };
    worker = new Worker(new URL('./attack-worker.js', import.meta.url), { workerData: attack });
  }, options.attackDelaySec * 1000);
  const summary = await runStress(options);
  clearTimeout(delay);
  const result = worker ? await stopWorker(worker) : { kind: options.attack, attackers: options.attackers, attempts: 0, outcomes: {}, perSec: 0 };
  return { ...summary, attack: result };
}

function stopWorker(worker: Worker): Promise<AttackSummary> {
  return new Promise((resolve, reject) => {
    worker.once('message', (summary: AttackSummary) => resolve(summary));
    worker.once('error', reject);
    worker.postMessage('stop');
  });
}

export function attackText(a: AttackSummary): string {
  return `  attack        ${a.kind}: ${a.attackers} attackers, ${a.attempts} attempts (${a.perSec}/s), outcomes ${JSON.stringify(a.outcomes)}\n`;
}
