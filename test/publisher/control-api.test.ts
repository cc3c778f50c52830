// The publisher's control API over real HTTP: the reference's shapes, 400s
// that name the field, start/stop/configure, /health and /metrics.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { control, getJson, sleep, startTestPublisher, type PublisherHarness } from './publisher-fixtures.js';

describe('publisher control API', () => {
  let h: PublisherHarness;
  before(async () => {
    h = await startTestPublisher();
  });
  after(async () => {
    await h.stop();
  });

  it('publishes nothing until start, and says so in /stats', async () => {
    const { status, body } = await getJson(`${h.baseUrl}/stats`);
    assert.equal(status, 200);
    assert.equal(body.success, true);
    assert.equal(body.isPublishing, false);
    assert.deepEqual(body.activeTokens, ['BTC', 'ETH', 'ODIN', 'SOL', 'DOGE']);
    const stats = body.stats as Record<string, unknown>;
    assert.equal(stats.messagesPublished, 0);
    assert.equal(stats.startTime, null);
    assert.equal(stats.errors, 0);
    assert.equal(stats.actualRate, 0);
    assert.equal((body.configuration as Record<string, unknown>).messagesPerSecond, 10);
    assert.equal(h.received.length, 0);
  });

  it('starts, answers with stats, tokens and configuration, and stops', async () => {
    const started = await control(h.baseUrl, { action: 'start', messagesPerSecond: 100, tokens: ['BTC', 'ETH'] });
    assert.equal(started.status, 200);
    assert.equal(started.body.success, true);
    assert.match(String(started.body.message), /started/i);
    assert.deepEqual(started.body.activeTokens, ['BTC', 'ETH']);
    assert.equal((started.body.configuration as Record<string, unknown>).messagesPerSecond, 100);
    assert.ok(typeof (started.body.stats as Record<string, unknown>).startTime === 'string');
    let stats = (await getJson(`${h.baseUrl}/stats`)).body;
    for (let i = 0; i < 500 && (stats.stats as { messagesPublished: number }).messagesPublished <= 5; i++) {
      await sleep(20);
      stats = (await getJson(`${h.baseUrl}/stats`)).body;
    }
    assert.equal(stats.isPublishing, true);
    assert.ok((stats.stats as { messagesPublished: number }).messagesPublished > 5);
    assert.ok(h.count('token.BTC.price') > 0 && h.count('token.ETH.price') > 0);
    assert.equal(h.count('token.SOL.price'), 0, 'only the requested tokens');
    assert.equal(h.count('market.statistics'), 1, 'statistics at start');

    const again = await control(h.baseUrl, { action: 'start' });
    assert.match(String(again.body.message), /already/i);
    const stopped = await control(h.baseUrl, { action: 'stop' });
    assert.equal(stopped.status, 200);
    assert.equal(stopped.body.success, true);
    assert.ok(stopped.body.stats);
    const count = h.received.length;
    assert.equal((await getJson(`${h.baseUrl}/stats`)).body.isPublishing, false);
    // Positive marker: a restart publishes market statistics first; anything published after the stop would reach the broker before it.
    assert.equal((await control(h.baseUrl, { action: 'start' })).status, 200);
    for (let i = 0; i < 500 && h.count('market.statistics') < 2; i++) await sleep(20);
    assert.equal(h.count('market.statistics'), 2);
    assert.deepEqual(h.received.slice(count, count + 1), ['market.statistics'], 'nothing after stop');
    assert.equal((await control(h.baseUrl, { action: 'stop' })).status, 200);
  });

  it('rejects bad bodies with 400 and a message naming the field', async () => {
    const cases: Array<[unknown, string]> = [
      [{ action: 'fly' }, 'action'],
      [{}, 'action'],
      [{ action: 'configure', messagesPerSecond: 'fast' }, 'messagesPerSecond'],
      [{ action: 'configure', messagesPerSecond: 0 }, 'messagesPerSecond'],
      [{ action: 'configure', messagesPerSecond: 1e9 }, 'messagesPerSecond'],
      [{ action: 'start', duration: -1 }, 'duration'],
      [{ action: 'start', tokens: 'BTC' }, 'tokens'],
      [{ action: 'start', tokens: [] }, 'tokens'],
      [{ action: 'start', tokens: ['BTC', 'no spaces'] }, 'tokens'],
      [{ action: 'start', speed: 3 }, 'speed'],
      ['{"action": "start"', 'body'],
      ['', 'body'],
      [[1, 2], 'body'],
    ];
    for (const [body, field] of cases) {
      const r = await control(h.baseUrl, body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.success, false);
      assert.ok(String(r.body.message).startsWith(`${field}:`), `${JSON.stringify(body)} -> ${String(r.body.message)}`);
    }
    assert.equal(h.publisher.service.isPublishing, false, 'a bad request changes nothing');
  });

  it('serves /health and /metrics, and 404/405 elsewhere', async () => {
    const health = await getJson(`${h.baseUrl}/health`);
    assert.equal(health.status, 200);
    assert.equal(health.body.status, 'healthy');
    assert.equal(health.body.healthy, true);
    assert.deepEqual(health.body.checks, { broker: { kind: 'memory', status: 'connected' } });
    const metrics = await (await fetch(`${h.baseUrl}/metrics`)).text();
    assert.match(metrics, /^publisher_messages_published_total\{kind="price"\} \d+/m);
    assert.match(metrics, /^publisher_rate_target \d+/m);
    assert.match(metrics, /publisher_publish_latency_seconds_bucket/);
    assert.equal((await fetch(`${h.baseUrl}/nope`)).status, 404);
    assert.equal((await fetch(`${h.baseUrl}/control`)).status, 405);
  });
  it('accepts what the reference accepted, with its meaning: duration in milliseconds, connections reported as ignored, its /health fields', async () => {
    const configured = await control(h.baseUrl, { action: 'configure', duration: 90_000, connections: 500 });
    assert.equal(configured.status, 200);
    assert.deepEqual(configured.body.ignored, ['connections']);
    assert.equal((configured.body.configuration as Record<string, unknown>).duration, 90, 'stored as 90 s');
    await control(h.baseUrl, { action: 'configure', duration: 0 });
    const health = (await getJson(`${h.baseUrl}/health`)).body;
    assert.equal(health.status, 'healthy');
    assert.equal(health.nats, 'connected');
    assert.equal(typeof health.publishing, 'boolean');
    assert.ok(typeof health.uptime === 'number' && typeof health.uptimeSec === 'number');
    assert.ok((health.uptime as number) >= (health.uptimeSec as number) * 1000 - 1000, 'uptime is in milliseconds');
  });
});
