// /metrics renders every metric (and Node's default collectors read /proc):
// too costly to do per request when anyone can send hundreds a second. The
// text is rendered at most once per interval and shared by every scrape in it;
// concurrent scrapes during a render wait for that one render. The text is
// kept encoded, so a cached answer costs no re-encoding of the whole page.
import type { Registry } from 'prom-client';

export type ScrapeResult = 'rendered' | 'cached';

export class MetricsCache {
  private body: Buffer | undefined;
  private renderedAt = -Infinity;
  private rendering: Promise<Buffer> | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly intervalMs: number,
    private readonly onScrape: (result: ScrapeResult) => void,
  ) {}

  get contentType(): string {
    return this.registry.contentType;
  }

  async render(now = performance.now()): Promise<Buffer> {
    if (this.body !== undefined && now - this.renderedAt < this.intervalMs) {
      this.onScrape('cached');
      return this.body;
    }
    if (this.rendering) {
      this.onScrape('cached');
      return this.rendering;
    }
    // Counted before the render so that its own count is in the text it produces.
    this.onScrape('rendered');
    this.rendering = this.registry.metrics().then((text) => Buffer.from(text));
    try {
      this.body = await this.rendering;
      this.renderedAt = performance.now();
      return this.body;
    } finally {
      this.rendering = undefined;
    }
  }
}
