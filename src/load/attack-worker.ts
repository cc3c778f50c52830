// Runs an attack in its own thread, so that the attackers' work does not
// delay the well-behaved clients' event loop: their latency must show what
// the gateway does under attack, not what the load generator does.
// Protocol: the worker posts 'ready' once loaded; 'start' begins the attack,
// 'stop' ends it and the worker answers with the AttackSummary.
import { parentPort, workerData } from 'node:worker_threads';
import { startAttack, type Attack, type AttackOptions, type AttackSummary } from './attackers.js';

let attack: Attack | undefined;
parentPort!.on('message', (command: 'start' | 'stop') => {
  if (command === 'start') {
    attack ??= startAttack(workerData as AttackOptions);
    return;
  }
  const options = workerData as AttackOptions;
  const stopped: Promise<AttackSummary> = attack ? attack.stop() : Promise.resolve({ kind: options.kind, attackers: options.attackers, attempts: 0, outcomes: {}, perSec: 0 });
  void stopped.then((summary) => {
    parentPort!.postMessage(summary);
    process.exit(0);
  });
});
parentPort!.postMessage('ready');
