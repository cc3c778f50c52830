// The simulator's --via-api transport: a publish-only Broker that sends
// through a gateway's server API instead of NATS. Publishes made in one
// event-loop turn go out as one batch request (up to MAX_BATCH messages, at
// most MAX_REQUESTS requests in flight); each keeps its msgId as the
// idempotency key, so a retried publish is stored once.
import { ApiRequestError, OdinApiClient } from '../api/api-client.js';
import type { PublishMessage } from '../api/api-validation.js';
import type { Broker, BrokerStats, BrokerStatus, HistoryPage, LatestResult, Position, PublishOptions } from '../broker/broker.js';

/** Below the gateway's default --api-max-batch (1000). */
const MAX_BATCH = 500;
const MAX_REQUESTS = 4;

interface Pending {
  message: PublishMessage;
  resolve(position: Position): void;
  reject(err: Error): void;
}

export class ApiPublishBroker implements Broker {
  readonly kind = 'api' as const;
  private readonly client: OdinApiClient;
  private queue: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;
  private state: BrokerStatus = 'connected';
  private lastEpoch = '';
  private readonly statusHandlers: Array<(s: BrokerStatus) => void> = [];

  constructor(url: string, key: string) {
    this.client = new OdinApiClient({ url, key, maxSockets: MAX_REQUESTS });
  }

  async start(): Promise<void> {
    // Fail at start, not at the first tick, when the URL or key is wrong.
    await this.client.channels('odin-publisher-probe');
  }

  async close(): Promise<void> {
    this.setStatus('closed');
    this.client.close();
  }

  publish(channel: string, payload: unknown, options?: PublishOptions): Promise<Position> {
    if (this.state === 'closed') return Promise.reject(new Error('broker is closed'));
    return new Promise((resolve, reject) => {
      const message: PublishMessage = { channel, data: payload, ...(options?.msgId !== undefined ? { idempotencyKey: options.msgId } : {}) };
      this.queue.push({ message, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.queue.length > 0 && this.inFlight < MAX_REQUESTS) {
      const batch = this.queue.splice(0, MAX_BATCH);
      this.inFlight++;
      void this.send(batch).finally(() => {
        this.inFlight--;
        if (this.queue.length > 0) this.schedule();
      });
    }
  }

  private async send(batch: Pending[]): Promise<void> {
    try {
      const positions = await this.client.publishBatch(batch.map((p) => p.message));
      this.setStatus('connected');
      batch.forEach((p, i) => p.resolve(positions[i]!));
      this.lastEpoch = positions[positions.length - 1]?.epoch ?? this.lastEpoch;
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      if (!(err instanceof ApiRequestError) || err.status === 0 || err.status >= 500) this.setStatus('disconnected');
      // A 503 on a batch says which messages were stored anyway.
      const stored = (err as ApiRequestError).body as { error?: { positions?: Array<Position | null> } } | undefined;
      batch.forEach((p, i) => {
        const position = stored?.error?.positions?.[i];
        if (position) p.resolve(position);
        else p.reject(error);
      });
    }
  }

  onMessage(): void {
    // Publish only: nothing is read back.
  }

  onStatus(handler: (status: BrokerStatus) => void): void {
    this.statusHandlers.push(handler);
  }

  historyPage(): Promise<HistoryPage> {
    return Promise.reject(new Error('the server API transport publishes only'));
  }

  latest(): Promise<LatestResult> {
    return Promise.reject(new Error('the server API transport publishes only'));
  }

  epoch(): string {
    return this.lastEpoch;
  }

  status(): BrokerStatus {
    return this.state;
  }

  stats(): BrokerStats {
    // Nothing is consumed or tracked here: the gateway behind the API has the live path.
    return { lagMessages: 0, behind: false, channels: 0, channelsEvicted: 0 };
  }

  publishControl(): Promise<void> {
    return Promise.reject(new Error('the server API transport publishes only'));
  }

  onControl(): void {
    // Publish only.
  }

  private setStatus(status: BrokerStatus): void {
    if (this.state === status || this.state === 'closed') return;
    this.state = status;
    for (const handler of this.statusHandlers) handler(status);
  }
}
