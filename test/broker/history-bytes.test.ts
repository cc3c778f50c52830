// Issue 20, finding 2: kept history has a byte bound (--history-max-bytes).
// Before, 5,000 channels x 16 x 60 KB through the API added 401 MiB that was
// never released. Oldest messages go first, the latest of each channel stays,
// and a resume from before an evicted message is honestly recovered:false.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBroker } from '../../src/broker/broker-memory.js';
import { readWholeHistory } from '../../src/broker/history-pager.js';

test('history stays within its byte bound (plus the latest message of each channel), oldest first, and recovered is honest', async () => {
  const MAX = 4 * 1024 * 1024;
  const b = new MemoryBroker({ historySize: 1000, historyMaxAgeMs: 600_000, historyMaxBytes: MAX });
  const pad = 'x'.repeat(60_000);
  const CHANNELS = 200;
  let worst = 0;
  for (let n = 0; n < 16; n++) {
    for (let c = 0; c < CHANNELS; c++) {
      b.publishNow(`big.C${c}.price`, { type: 'price:update', n, pad });
      worst = Math.max(worst, b.historyBytes);
    }
  }
  const oneMessage = 60_000 + 200;
  console.log(`200 channels x 16 x 60 KB (${((CHANNELS * 16 * oneMessage) / 2 ** 20).toFixed(0)} MiB published): history held at most ${(worst / 2 ** 20).toFixed(1)} MiB (bound ${(MAX / 2 ** 20).toFixed(0)} MiB + one message per channel)`);
  assert.ok(worst <= MAX + CHANNELS * oneMessage, `held ${worst} bytes`);
  // Every channel keeps its latest value.
  assert.equal((await b.latest('big.>')).messages.length, CHANNELS);
  const epoch = b.epoch();
  // The oldest messages went first: a resume from the start is not recovered, one from the newest messages is.
  assert.equal((await readWholeHistory(b, 'big.C0.price', { seq: 0, epoch })).recovered, false);
  assert.equal((await readWholeHistory(b, 'big.>', { seq: 1, epoch })).recovered, false);
  const top = (await b.latest('big.>')).position.seq;
  const recent = await readWholeHistory(b, 'big.>', { seq: top - 10, epoch });
  assert.equal(recent.recovered, true);
  assert.deepEqual(recent.messages.map((m) => m.seq), Array.from({ length: 10 }, (_, i) => top - 9 + i));
});

test('without pressure the byte bound evicts nothing', async () => {
  const b = new MemoryBroker({ historySize: 1000, historyMaxAgeMs: 600_000, historyMaxBytes: 1024 * 1024 });
  for (let n = 0; n < 100; n++) b.publishNow(`small.C${n % 5}.price`, { n });
  const all = await readWholeHistory(b, 'small.>', { seq: 0, epoch: b.epoch() });
  assert.equal(all.recovered, true);
  assert.equal(all.messages.length, 100);
});
