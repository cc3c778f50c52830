// Runs an attack in its own thread, so that the attackers' work does not
// delay the well-behaved clients' event loop: their latency must show what
// the gateway does under attack, not what the load generator does.
import { parentPort, workerData } from 'node:worker_threads';
import { startAttack, type AttackOptions } from './attackers.js';

const attack = startAttack(workerData as AttackOptions);
parentPort!.once('message', () => {
  void attack.stop().then((summary) => {
    parentPort!.postMessage(summary);
    process.exit(0);
  });
});
