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
  const attack: AttackOptions = { kind: options.attack, url: options.url, attackers: options.attackers };
  const worker = new Worker(new URL('./attack-worker.js', import.meta.url), { workerData: attack });
  // Loading the worker can take seconds on a busy machine: the run's clock starts once it is ready.
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  const delay = setTimeout(() => worker.postMessage('start'), options.attackDelaySec * 1000);
  const summary = await runStress(options);
  clearTimeout(delay);
  return { ...summary, attack: await stopWorker(worker) };
}

/** Stops the attack (an attack that never started reports zero attempts) and collects its summary. */
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
