// One owner of the stream's configuration: a process without --stream-owner
// creates an absent stream but never changes an existing one, and refuses to
// start when the stream's limits differ from its settings; the owner applies
// its settings. Before, the last process started rewrote everyone's limits.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from '@nats-io/transport-node';
import { startOdin } from '../helpers/child-process.js';
import { jetstreamManager, type StreamConfig } from '@nats-io/jetstream';
import { StreamConfigMismatchError } from '../../src/broker/nats-stream-setup.js';
import type { NatsBroker } from '../../src/broker/broker-nats.js';
import { NatsServer } from '../helpers/nats-server.js';
import { deleteAllStreams, natsBroker, uniqueStream, waitUntil } from './nats-test-kit.js';

let server: NatsServer;
const brokers: NatsBroker[] = [];

before(async () => {
  server = await NatsServer.start();
});
beforeEach(async () => {
  for (const b of brokers.splice(0)) await b.close().catch(() => undefined);
  await deleteAllStreams(server.url);
});
after(async () => {
  for (const b of brokers.splice(0)) await b.close().catch(() => undefined);
  await server?.cleanup();
});

function broker(stream: string, overrides: Parameters<typeof natsBroker>[1] = {}): NatsBroker {
  const b = natsBroker(server.url, { name: stream, ...overrides });
  brokers.push(b);
  return b;
}

async function streamConfig(stream: string): Promise<StreamConfig> {
  const nc = await connect({ servers: server.url });
  try {
    return (await (await jetstreamManager(nc)).streams.info(stream)).config;
  } finally {
    await nc.close();
  }
}

test('without --stream-owner: an absent stream is created; an existing one that differs is left alone and the process refuses to start', async () => {
  const stream = uniqueStream();
  await broker(stream, { historySize: 1000, consume: false }).start();
  assert.equal((await streamConfig(stream)).max_msgs_per_subject, 1000, 'the first process created the stream with its settings');

  const shrinking = broker(stream, { historySize: 5 });
  await assert.rejects(shrinking.start(), (err: unknown) => {
    assert.ok(err instanceof StreamConfigMismatchError, String(err));
    assert.match(err.message, /max_msgs_per_subject 1000 where this process's --history-size\/HISTORY_SIZE asks for 5/);
    assert.match(err.message, /--stream-owner/);
    assert.match(err.message, /odin stream apply/);
    return true;
  });
  assert.equal(shrinking.status(), 'closed', 'the refused broker let go of its connection');
  const config = await streamConfig(stream);
  assert.equal(config.max_msgs_per_subject, 1000, "one misconfigured process does not shrink everyone's retention");

  // Every difference is named, not only the first.
  await assert.rejects(broker(stream, { historySize: 5, historyMaxAgeSec: 60, consume: false }).start(), (err: unknown) => {
    assert.ok(err instanceof StreamConfigMismatchError);
    assert.deepEqual(err.differences.map((d) => d.field), ['max_msgs_per_subject', 'max_age']);
    return true;
  });

  // The same settings start fine.
  const agreeing = broker(stream, { historySize: 1000 });
  await agreeing.start();
  assert.equal(agreeing.status(), 'connected');
});

test('with --stream-owner: the owner applies its settings; processes with the old ones then refuse to start', async () => {
  const stream = uniqueStream();
  await broker(stream, { historySize: 1000, consume: false }).start();
  const owner = broker(stream, { historySize: 50, historyMaxAgeSec: 300, owner: true, consume: false });
  await owner.start();
  const config = await streamConfig(stream);
  assert.equal(config.max_msgs_per_subject, 50);
  assert.equal(config.max_age, 300 * 1e9);
  await assert.rejects(broker(stream, { historySize: 1000 }).start(), StreamConfigMismatchError);
  await broker(stream, { historySize: 50, historyMaxAgeSec: 300 }).start();
});

test('storage cannot change on an existing stream: even the owner refuses, saying so', async () => {
  const stream = uniqueStream();
  await broker(stream, { storage: 'file', consume: false }).start();
  await assert.rejects(broker(stream, { storage: 'memory', owner: true, consume: false }).start(), (err: unknown) => {
    assert.ok(err instanceof StreamConfigMismatchError);
    assert.match(err.message, /storage file where this process's --nats-storage\/NATS_STORAGE asks for memory/);
    assert.match(err.message, /cannot change the storage/);
    return true;
  });
  assert.equal((await streamConfig(stream)).storage, 'file');
});

test('odin gateway against a stream that differs exits 2 with the mismatch on stderr (a configuration error)', { timeout: 60_000 }, async () => {
  const stream = uniqueStream();
  await broker(stream, { historySize: 1000, consume: false }).start();
  const child = spawn(process.execPath, ['dist/src/cli/main.js', 'gateway', '--nats', server.url, '--nats-stream', stream, '--history-size', '7', '--port', '0', '--host', '127.0.0.1', '--log-level', 'silent'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  assert.equal(code, 2, stderr);
  assert.match(stderr, /^odin: invalid configuration: /);
  assert.match(stderr, new RegExp(`stream ${stream} has max_msgs_per_subject 1000 where this process's --history-size/HISTORY_SIZE asks for 7`));
  assert.equal((await streamConfig(stream)).max_msgs_per_subject, 1000);
});

function runOdin(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['dist/src/cli/main.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

test('odin stream check reports the differences (exit 1); odin stream apply changes the stream; check then agrees', { timeout: 60_000 }, async () => {
  const stream = uniqueStream();
  await broker(stream, { historySize: 1000, consume: false }).start();
  const wanted = ['--nats', server.url, '--nats-stream', stream, '--history-size', '200', '--history-max-age', '600'];
  const before = await runOdin(['stream', 'check', ...wanted]);
  assert.equal(before.code, 1, before.stderr);
  const report = JSON.parse(before.stdout) as { agrees: boolean; differences: Array<{ field: string; actual: string; wanted: string }> };
  assert.equal(report.agrees, false);
  assert.deepEqual(report.differences.map((d) => [d.field, d.actual, d.wanted]), [['max_msgs_per_subject', '1000', '200']]);
  assert.equal((await streamConfig(stream)).max_msgs_per_subject, 1000, 'check changes nothing');

  const applied = await runOdin(['stream', 'apply', ...wanted]);
  assert.equal(applied.code, 0, applied.stderr);
  assert.equal((JSON.parse(applied.stdout) as { max_msgs_per_subject: number }).max_msgs_per_subject, 200);
  assert.equal((await streamConfig(stream)).max_msgs_per_subject, 200);
  const after = await runOdin(['stream', 'check', ...wanted]);
  assert.equal(after.code, 0, after.stdout);
});

test('an upgrade: on a stream created with the old defaults (1000 messages, 600 s), a gateway and a publisher given no history flag start, keep its limits and say to run odin stream apply; given limits that differ still refuse; odin stream apply without limits brings it to the new defaults', { timeout: 90_000 }, async () => {
  const stream = uniqueStream('UPGRADE');
  // What an older version created: its defaults were 1000 messages and 600 s.
  await broker(stream, { historySize: 1000, historyMaxAgeSec: 600, consume: false }).start();

  const gateway = startOdin(['gateway', '--nats', server.url, '--nats-stream', stream, '--port', '0', '--host', '127.0.0.1', '--log-level', 'info']);
  try {
    const adopted = await gateway.waitForEvent('nats_stream_limits_adopted', 30_000);
    assert.equal(adopted.level, 'warn');
    assert.deepEqual(adopted.adopted, [
      'max_msgs_per_subject: 1000 (default 100000, --history-size/HISTORY_SIZE)',
      'max_age: 600 s (default 1800 s, --history-max-age/HISTORY_MAX_AGE_SEC)',
    ]);
    assert.match(String(adopted.msg), /odin stream apply/);
    const started = await gateway.waitForEvent('gateway_started', 30_000);
    await gateway.waitForEvent('nats_broker_started', 30_000);
    // The gateway listens before its broker starts: ready once it took the stream.
    await waitUntil(async () => (await fetch(`http://127.0.0.1:${String(started.port)}/readyz`)).status === 200, 30_000, 'the defaulted gateway to be ready');
  } finally {
    gateway.kill('SIGTERM');
  }
  assert.equal(await gateway.exited, 0, gateway.stderr);

  const publisher = startOdin(['publisher', '--nats', server.url, '--nats-stream', stream, '--port', '0', '--log-level', 'info']);
  try {
    await publisher.waitForEvent('nats_stream_limits_adopted', 30_000);
  } finally {
    publisher.kill('SIGTERM');
    await publisher.exited;
  }
  let config = await streamConfig(stream);
  assert.equal(config.max_msgs_per_subject, 1000, 'a process that is not the owner changes nothing');
  assert.equal(config.max_age, 600 * 1e9);

  // A limit given explicitly is an expectation: it still refuses.
  const explicit = await runOdin(['gateway', '--nats', server.url, '--nats-stream', stream, '--history-size', '100000', '--port', '0', '--host', '127.0.0.1', '--log-level', 'silent']);
  assert.equal(explicit.code, 2, explicit.stderr);
  assert.match(explicit.stderr, new RegExp(`stream ${stream} has max_msgs_per_subject 1000 where this process's --history-size/HISTORY_SIZE asks for 100000`));
  assert.doesNotMatch(explicit.stderr, /max_age/, 'the max age was not given: it is not refused');

  // The upgrade step: odin stream check names it, odin stream apply without limits applies this version's defaults.
  const check = await runOdin(['stream', 'check', '--nats', server.url, '--nats-stream', stream]);
  assert.equal(check.code, 1, check.stderr);
  const applied = await runOdin(['stream', 'apply', '--nats', server.url, '--nats-stream', stream]);
  assert.equal(applied.code, 0, applied.stderr);
  config = await streamConfig(stream);
  assert.equal(config.max_msgs_per_subject, 100_000);
  assert.equal(config.max_age, 1800 * 1e9);
});
