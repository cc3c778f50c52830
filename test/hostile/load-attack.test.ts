// `odin load attack` runs hostile clients beside well-behaved ones and
// reports both: the bystanders' summary and what the gateway did to the attackers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttackRunSummary } from '../../src/load/attack-run.js';
import { startOdin } from '../helpers/child-process.js';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { publishContinuously } from './bystander.js';

test('odin load attack --attack idle-sockets: bystanders measured, attackers closed by the gateway and counted', async () => {
  const h = await startTestGateway({ handshakeTimeoutMs: 300 });
  const publisher = publishContinuously(h.broker);
  const dir = mkdtempSync(join(tmpdir(), 'odin-attack-'));
  try {
    const json = join(dir, 'attack.json');
    const load = startOdin(['load', 'attack', '--url', h.url, '--attack', 'idle-sockets', '--attackers', '10', '--connections', '3', '--duration', '4', '--attack-delay', '0.5', '--channels', 'token.BTC.price', '--quiet', '--json', json]);
    assert.equal(await load.exited, 0, load.stderr);
    const summary = JSON.parse(readFileSync(json, 'utf8')) as AttackRunSummary;
    console.log(`# attack: ${JSON.stringify(summary.attack)}; bystanders p99 ${summary.latencyMs.p99} ms, ${summary.messages.received} messages`);
    assert.equal(summary.attack.kind, 'idle-sockets');
    assert.ok((summary.attack.outcomes.closed_by_server ?? 0) >= 10, 'the gateway closed no idle socket at its deadline');
    assert.equal(summary.connections.opened, 3);
    assert.ok(summary.messages.received > 0);
    assert.equal(summary.gaps, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    publisher.stop();
    await h.stop();
  }
});
