// Shared pieces of the NATS tests: brokers on a test server, polling, and a
// publisher that keeps publishing through outages by retrying with msgIds.
import { NatsBroker, type NatsBrokerOptions } from '../../src/broker/broker-nats.js';
import { createLogger } from '../../src/observability/logger.js';

let streamCounter = 0;

/** A stream name no other test in this process uses. */
export function uniqueStream(prefix = 'T'): string {
  return `${prefix}_${process.pid}_${++streamCounter}`;
}

export function testLogger(name: string) {
  return createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', { test: name });
}

export function natsBroker(servers: string, overrides: Partial<NatsBrokerOptions> = {}): NatsBroker {
  return new NatsBroker({
    servers: servers.split(','),
    name: 'ODIN',
    historySize: 1000,
    historyMaxAgeSec: 600,
    replicas: 1,
    storage: 'file',
    logger: testLogger('broker'),
    ...overrides,
  });
}

export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Publishes n = 1, 2, 3, ... on a channel at a fixed pace into a queue; a
 * sender drains the queue in order, retrying each message with the same msgId
 * until the stream acknowledges it (so an outage delays, never loses or
 * duplicates). Payload: {type:"tick", n}.
 */
export class RetryingPublisher {
  produced = 0;
  acked = 0;
  retries = 0;
  private readonly queue: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending = false;
  private stopped = false;
  private readonly runId = Math.random().toString(36).slice(2, 8);

  constructor(
    private readonly broker: NatsBroker,
    private readonly channels: string[],
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.queue.push(++this.produced);
      void this.drain();
    }, this.intervalMs);
  }

  /** Stops producing; resolves when everything produced is acknowledged. */
  async finish(timeoutMs = 30_000): Promise<void> {
    clearInterval(this.timer);
    await waitUntil(() => this.acked === this.produced, timeoutMs, `publisher to flush (${this.acked}/${this.produced})`);
    this.stopped = true;
  }

  /** Total messages published (each goes to one channel, round robin). */
  channelFor(n: number): string {
    return this.channels[(n - 1) % this.channels.length]!;
  }

  private async drain(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.queue.length > 0 && !this.stopped) {
        const n = this.queue[0]!;
        try {
          await this.broker.publish(this.channelFor(n), { type: 'tick', n }, { msgId: `${this.runId}-${n}` });
          this.queue.shift();
          this.acked++;
        } catch {
          this.retries++;
          await sleep(100);
        }
      }
    } finally {
      this.sending = false;
    }
  }
}
