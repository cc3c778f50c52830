// History limits default per broker (issue 20, long recovery): the memory
// broker keeps its small ring (1,000 messages, 600 s), NATS mode keeps
// 100,000 messages per channel for 30 minutes. A limit given by flag or
// variable is used as given, and only the others are marked as defaults
// (which a process may adopt from an existing stream).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultGatewayConfig, gatewayConfigFrom, gatewayOptionTable } from '../../src/config/gateway-options.js';
import { publisherConfigFrom } from '../../src/config/publisher-options.js';
import { describeOptions } from '../../src/config/option-parser.js';

const NATS = 'nats://127.0.0.1:4222';

test('the memory broker keeps 1000 messages for 600 s by default', () => {
  const c = gatewayConfigFrom([], {});
  assert.equal(c.natsUrl, undefined);
  assert.equal(c.historySize, 1000);
  assert.equal(c.historyMaxAgeSec, 600);
  assert.deepEqual(c.historyDefaulted, ['historySize', 'historyMaxAgeSec']);
});

test('NATS mode keeps 100,000 messages per channel for at least 15 minutes by default, from the flag or the variable', () => {
  for (const c of [gatewayConfigFrom(['--nats', NATS], {}), gatewayConfigFrom([], { NATS_URL: NATS })]) {
    assert.equal(c.historySize, 100_000);
    assert.equal(c.historyMaxAgeSec, 1800);
    assert.ok(c.historyMaxAgeSec >= 900);
    assert.equal(c.natsStorage, 'file');
    assert.deepEqual(c.historyDefaulted, ['historySize', 'historyMaxAgeSec']);
  }
});

test('a limit given by flag or variable is used as given and is not a default', () => {
  const flag = gatewayConfigFrom(['--nats', NATS, '--history-size', '5000'], {});
  assert.equal(flag.historySize, 5000);
  assert.equal(flag.historyMaxAgeSec, 1800);
  assert.deepEqual(flag.historyDefaulted, ['historyMaxAgeSec']);
  const env = gatewayConfigFrom([], { HISTORY_MAX_AGE_SEC: '60', HISTORY_SIZE: '10' });
  assert.equal(env.historySize, 10);
  assert.equal(env.historyMaxAgeSec, 60);
  assert.deepEqual(env.historyDefaulted, []);
  // A value equal to the default is still given: the process expects it of the stream.
  assert.deepEqual(gatewayConfigFrom(['--nats', NATS, '--history-size', '100000'], {}).historyDefaulted, ['historyMaxAgeSec']);
});

test('the publisher and embedded configurations follow the same per-broker defaults', () => {
  const pub = publisherConfigFrom(['--nats', NATS], {});
  assert.equal(pub.historySize, 100_000);
  assert.equal(pub.historyMaxAgeSec, 1800);
  assert.deepEqual(pub.historyDefaulted, ['historySize', 'historyMaxAgeSec']);
  assert.equal(publisherConfigFrom([], {}).historySize, 1000);
  assert.equal(defaultGatewayConfig().historySize, 1000);
  const nats = defaultGatewayConfig({ natsUrl: NATS });
  assert.equal(nats.historySize, 100_000);
  assert.deepEqual(defaultGatewayConfig({ natsUrl: NATS, historySize: 7 }).historyDefaulted, ['historyMaxAgeSec']);
});

test('the help states both defaults', () => {
  const help = describeOptions(gatewayOptionTable);
  assert.match(help, /--history-size .*\[default: 1000 with the memory broker, 100000 over NATS\]/);
  assert.match(help, /--history-max-age .*\[default: 600 with the memory broker, 1800 over NATS\]/);
});
