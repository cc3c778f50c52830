// /readyz reflects memory pressure (issue 20): a gateway whose resident set
// is at 90% of its memory budget, or whose memory broker keeps history more
// than 25% over --history-max-bytes (the newest message of every channel
// stays, so many channels hold it over the bound), answers 503 with reason
// memory_pressure and says which in `memory`. Before, 5,000 channels of kept
// history grew memory by 401 MiB with /readyz still 200.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MemoryBroker } from '../../src/broker/broker-memory.js';
import { memoryPressure } from '../../src/gateway/memory-pressure.js';
import { startTestGateway } from '../helpers/gateway-harness.js';

async function readyz(httpUrl: string): Promise<{ status: number; body: { ready: boolean; reasons: string[]; memory?: string } }> {
  const res = await fetch(`${httpUrl}/readyz`);
  return { status: res.status, body: (await res.json()) as { ready: boolean; reasons: string[]; memory?: string } };
}

const GiB = 1024 ** 3;

describe('/readyz and memory pressure', () => {
  it('a resident set at 90% of the memory budget or more is memory pressure', async () => {
    // A 1 MiB budget: any Node process is over it.
    const h = await startTestGateway({ memoryLimitMb: 1, historyMaxBytes: 1024 * 1024 });
    try {
      const { status, body } = await readyz(h.httpUrl);
      assert.equal(status, 503);
      assert.deepEqual(body.reasons, ['memory_pressure']);
      assert.match(body.memory ?? '', /^resident memory \d+ MiB of the 1 MiB budget \(MEMORY_LIMIT_MB\)$/);
    } finally {
      await h.stop();
    }
  });

  it('history kept more than 25% over --history-max-bytes is memory pressure; within the bound it is not', async () => {
    const h = await startTestGateway({ memoryLimitMb: 64 * 1024, historyMaxBytes: 64 * 1024 });
    const broker = h.broker as MemoryBroker;
    try {
      assert.deepEqual(await readyz(h.httpUrl), { status: 200, body: { ready: true, reasons: [] } });
      // Many messages on a few channels: eviction keeps the history at its bound, no pressure.
      const text = 'x'.repeat(1000);
      for (let i = 0; i < 500; i++) broker.publishNow(`pressure.few.${i % 4}`, { text });
      assert.ok(broker.historyBytes <= 64 * 1024 * 1.25, `${broker.historyBytes} bytes kept`);
      assert.deepEqual(await readyz(h.httpUrl), { status: 200, body: { ready: true, reasons: [] } });
      // One message on each of 300 channels: the newest of each channel stays, ~300 KB against a 64 KiB bound.
      for (let i = 0; i < 300; i++) broker.publishNow(`pressure.many.${i}`, { text });
      const { status, body } = await readyz(h.httpUrl);
      assert.equal(status, 503);
      assert.deepEqual(body.reasons, ['memory_pressure']);
      assert.match(body.memory ?? '', /^kept history \d+ MiB, over its 0 MiB bound \(HISTORY_MAX_BYTES\) by more than 25%$/);
    } finally {
      await h.stop();
    }
  });

  it('names each signal over its threshold, the heap included', () => {
    const calm = { rssBytes: 0.5 * GiB, memoryLimitBytes: GiB, heapUsedBytes: 0.5 * GiB, heapLimitBytes: 2 * GiB, history: { bytes: 100, maxBytes: 100 } };
    assert.equal(memoryPressure(calm), undefined);
    assert.equal(memoryPressure({ ...calm, rssBytes: 0.89 * GiB }), undefined);
    assert.match(memoryPressure({ ...calm, rssBytes: 0.9 * GiB }) ?? '', /^resident memory 922 MiB of the 1024 MiB budget/);
    assert.equal(memoryPressure({ ...calm, heapUsedBytes: 1.79 * GiB }), undefined);
    assert.match(memoryPressure({ ...calm, heapUsedBytes: 1.8 * GiB }) ?? '', /^V8 heap 1843 MiB of its 2048 MiB limit$/);
    assert.equal(memoryPressure({ ...calm, history: { bytes: 125, maxBytes: 100 } }), undefined);
    assert.match(memoryPressure({ ...calm, history: { bytes: 126, maxBytes: 100 } }) ?? '', /^kept history/);
    assert.equal(memoryPressure({ ...calm, history: undefined }), undefined);
    assert.equal(memoryPressure({ ...calm, rssBytes: GiB, heapUsedBytes: 2 * GiB })?.split('; ').length, 2);
  });
});
