// A well-behaved client beside an attack: subscribed to a live channel that a
// publisher feeds every 10 ms, it records its worst publish-to-receive
// latency, gaps and close. Attack tests assert it noticed nothing.
import assert from 'node:assert/strict';
import type { MemoryBroker } from '../../src/broker/broker-memory.js';
import { TestClient } from '../helpers/test-client.js';

export const BYSTANDER_CHANNEL = 'token.BYSTANDER.price';

export class LiveBystander {
  worstLatencyMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private published = 0;

  private constructor(
    readonly client: TestClient,
    private readonly broker: MemoryBroker,
  ) {}

  static async start(url: string, broker: MemoryBroker): Promise<LiveBystander> {
    const client = await TestClient.connect(url);
    await client.subscribe([BYSTANDER_CHANNEL]);
    const b = new LiveBystander(client, broker);
    client.ws.on('message', () => {
      const last = client.data.at(-1);
      if (last?.channel === BYSTANDER_CHANNEL) b.worstLatencyMs = Math.max(b.worstLatencyMs, Date.now() - last.ts);
    });
    b.timer = setInterval(() => {
      b.published++;
      broker.publishNow(BYSTANDER_CHANNEL, { type: 'price:update', tokenId: 'BYSTANDER', n: b.published });
    }, 10);
    // A failed assertion must not leave the publisher running and the test file hanging.
    b.timer.unref();
    return b;
  }

  /** Stops publishing, waits for the last message, and asserts nothing was noticed: no close, no gap, no stall near `maxLatencyMs` (generous: a shared machine is noisy; the failures these guard against last seconds). */
  async finish(label: string, maxLatencyMs = 1000): Promise<void> {
    clearInterval(this.timer);
    const c = this.client;
    await c.waitFor(() => c.dataOn(BYSTANDER_CHANNEL).length === this.published || c.closeCode !== undefined, 10_000, 'every bystander message');
    console.log(`bystander during ${label}: ${c.dataOn(BYSTANDER_CHANNEL).length}/${this.published} messages, worst latency ${this.worstLatencyMs} ms, gaps ${c.gaps.length}`);
    assert.equal(c.closeCode, undefined, 'the bystander stays connected');
    assert.equal(c.dataOn(BYSTANDER_CHANNEL).length, this.published, 'the bystander got every message');
    assert.deepEqual(c.gaps, []);
    assert.ok(this.worstLatencyMs < maxLatencyMs, `worst bystander latency ${this.worstLatencyMs} ms`);
    c.close();
  }
}
