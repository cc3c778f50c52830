// Every JSON log line of `odin publisher` on NATS carries each key once: the
// NATS broker's lines named `component` twice (a child logger given a
// component under a root that had one), which JSON.parse hides by keeping the
// last, so the raw text is read.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CLI } from '../helpers/child-process.js';
import { runCommand, type CommandOutput } from '../helpers/command-output.js';
import { duplicateKeys, topLevelKeys } from '../helpers/json-keys.js';
import { NatsServer } from '../helpers/nats-server.js';

let nats: NatsServer;
let publisher: CommandOutput | undefined;
before(async () => {
  nats = await NatsServer.start();
});
after(async () => {
  await publisher?.stop('SIGKILL');
  await nats.cleanup();
});

describe('publisher log lines', () => {
  it('the duplicate check sees a key written twice', () => {
    assert.deepEqual(duplicateKeys('{"component":"publisher","x":{"component":"inner"},"l":["component"],"component":"nats-broker"}'), ['component']);
    assert.deepEqual(topLevelKeys('{"a":"b\\"c:","d":[{"e":1}]}'), ['a', 'd']);
  });

  it('odin publisher --nats: each line names its component once, the NATS broker\'s included', async () => {
    publisher = runCommand(process.execPath, [CLI, 'publisher', '--port', '0', '--nats', nats.url, '--nats-storage', 'memory', '--autostart', '--log-format', 'json']);
    await publisher.waitForLine((l) => l.includes('"event":"odin_started"'), 'the start line');
    const broker = await publisher.waitForLine((l) => l.includes('"event":"nats_broker_started"'), 'the NATS broker line');
    assert.equal(topLevelKeys(broker).filter((k) => k === 'component').length, 1, broker);
    assert.equal((JSON.parse(broker) as { component: string }).component, 'nats-broker');
    const own = publisher.lines.find((l) => l.includes('"event":"odin_started"'))!;
    assert.equal((JSON.parse(own) as { component: string }).component, 'publisher');
    for (const line of publisher.lines) assert.deepEqual(duplicateKeys(line), [], `no key twice: ${line}`);
    assert.equal(await publisher.stop(), 0);
  });
});
