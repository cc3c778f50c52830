// The SDK's pure parts: backoff, the close-code policy, continuity, its copies
// of protocol constants, and the rule that it loads in a browser unbundled.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { backoffDelay } from '@odin-gateway/client/internal/backoff';
import { CloseCode } from '@odin-gateway/client/codes';
import { ContinuityTracker } from '@odin-gateway/client/internal/continuity-tracker';
import type { OdinClient } from '@odin-gateway/client';
import { adviseReconnect, DEFAULT_RECONNECT } from '@odin-gateway/client/internal/reconnect-policy';
import type { DataMessage } from '@odin-gateway/client/protocol';

describe('backoff', () => {
  it('grows exponentially, is capped, and jitters within [d/2, d]', () => {
    const opts = { baseMs: 100, maxMs: 2000 };
    assert.equal(backoffDelay(0, opts, () => 1), 100);
    assert.equal(backoffDelay(3, opts, () => 1), 800);
    assert.equal(backoffDelay(20, opts, () => 1), 2000);
    fc.assert(
      fc.property(fc.nat(40), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, r) => {
        const full = Math.min(2000, 100 * 2 ** attempt);
        const d = backoffDelay(attempt, opts, () => r);
        return d >= Math.floor(full / 2) && d <= full;
      }),
    );
  });
});

describe('reconnect policy by close code', () => {
  const advise = (code: number, attempt = 0, canRefresh = false) => adviseReconnect(code, attempt, canRefresh, DEFAULT_RECONNECT, () => 0.5);
  it('follows docs/protocol.md', () => {
    assert.deepEqual(advise(CloseCode.UNAUTHORIZED).reconnect, false);
    assert.ok(advise(CloseCode.UNAUTHORIZED, 0, true).reconnect);
    for (const code of [CloseCode.PROTOCOL_ERROR, CloseCode.INVALID_PAYLOAD, CloseCode.POLICY_VIOLATION, CloseCode.MESSAGE_TOO_BIG]) {
      const a = advise(code);
      assert.ok(a.reconnect && a.delayMs >= 45_000, `${code} waits long`);
    }
    const capacity = advise(CloseCode.TRY_AGAIN_LATER);
    assert.ok(capacity.reconnect && capacity.delayMs >= DEFAULT_RECONNECT.capacityMinDelayMs);
    const slow = advise(CloseCode.SLOW_CLIENT);
    assert.ok(slow.reconnect && slow.delayMs <= 100, 'resume at once after 4000');
    const draining = advise(CloseCode.DRAINING);
    assert.ok(draining.reconnect && draining.delayMs <= 50, 'move at once after 4005: the server spread the closes');
    const shutdown = advise(CloseCode.SERVER_SHUTDOWN);
    assert.ok(shutdown.reconnect && shutdown.delayMs <= 1000);
    const later = advise(1006, 4);
    assert.ok(later.reconnect && later.delayMs === backoffDelay(4, DEFAULT_RECONNECT, () => 0.5));
  });
});

describe('continuity', () => {
  const msg = (channel: string, seq: number, prev: number, epoch = 'e1'): DataMessage => ({ type: 'message', channel, seq, prev, epoch, ts: 0, event: 'x', data: null });
  it('tells next, duplicate, gap and epoch apart', () => {
    const t = new ContinuityTracker();
    assert.equal(t.check(msg('a', 5, 2)), 'first');
    t.record(msg('a', 5, 2));
    assert.equal(t.check(msg('a', 9, 5)), 'next');
    assert.equal(t.check(msg('a', 5, 2)), 'duplicate');
    assert.equal(t.check(msg('a', 12, 9)), 'gap');
    assert.equal(t.check(msg('a', 1, 0, 'e2')), 'epoch');
    assert.equal(t.check(msg('b', 6, 4)), 'first', 'channels are independent');
    t.forget((c) => c === 'a');
    assert.equal(t.check(msg('a', 12, 9)), 'first');
  });
});

describe('SDK packaging', () => {
  it('imports at run time only its own folder and dependency-free protocol modules, so /sdk/ works in a browser', () => {
    const importsOf = (path: string): string[] =>
      [...readFileSync(path, 'utf8').matchAll(/(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]/g)].map((m) => m[1] ?? m[2]!);
    const dir = join('packages', 'client', 'dist', 'client');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.js'))) {
      for (const s of importsOf(join(dir, file))) {
        assert.match(s, /^(\.\/|\.\.\/protocol\/)[\w-]+\.js$/, `${file} imports ${s}`);
        // A protocol module the browser loads must itself import nothing (the gateway serves only /sdk/ and /protocol/).
        if (s.startsWith('../protocol/')) assert.deepEqual(importsOf(join(dir, s)), [], `${s} imports something`);
      }
    }
  });
});

// Compile-time check: handlers are typed by the channel they subscribe to.
export function typedHandlersCompile(client: OdinClient): void {
  client.subscribe('token.*.price', (tick) => tick.price.toFixed(2));
  client.subscribe('market.statistics', (stats) => stats.topTokens.map((t) => t.tokenId));
  client.subscribe('trades.user.alice', (trade) => (trade.side === 'buy' ? trade.value : -trade.value));
  client.subscribe<'custom.channel', { n: number }>('custom.channel', (d) => d.n + 1);
}
