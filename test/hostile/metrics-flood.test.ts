// Finding 7: /metrics is costly to render, so a flood of scrapes is served
// from a cache rendered at most once per interval; and the metrics can move
// to a private listener of their own (--metrics-port, --metrics-host).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway } from '../helpers/gateway-harness.js';
import { fetchMetrics, metricValue } from '../helpers/metrics-reader.js';
import { Bystander, publishContinuously } from './bystander.js';

test('a flood of /metrics scrapes renders at most once per interval, and a bystander keeps receiving', async () => {
  const h = await startTestGateway({ metricsCacheMs: 1000 });
  const publisher = publishContinuously(h.broker);
  const bystander = await Bystander.join(h.url);
  try {
    const scrapes = 1000;
    let done = 0;
    const started = Date.now();
    // 20 scrapers in parallel, each request after the previous one's answer.
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (done < scrapes) {
          done++;
          const res = await fetch(`${h.httpUrl}/metrics`);
          assert.equal(res.status, 200);
          await res.arrayBuffer();
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    // The text itself is up to a second old: read until it counts every scrape of the flood.
    let text = '';
    const counted = (): number => metricValue(text, 'ws_metrics_scrapes_total');
    for (let deadline = Date.now() + 10_000; !(counted() >= scrapes) && Date.now() < deadline; ) {
      text = await fetchMetrics(h.httpUrl);
      if (!(counted() >= scrapes)) await new Promise((r) => setTimeout(r, 100));
    }
    const rendered = metricValue(text, 'ws_metrics_scrapes_total', { result: 'rendered' });
    const cached = metricValue(text, 'ws_metrics_scrapes_total', { result: 'cached' });
    console.log(`# ${scrapes} scrapes in ${seconds.toFixed(1)} s (${Math.round(scrapes / seconds)}/s): ${rendered} renders, ${cached} from the cache`);
    assert.ok(rendered <= Math.ceil(seconds) + 3, `${rendered} renders in ${seconds} s with a 1 s cache`);
    assert.ok(rendered + cached >= scrapes, `only ${rendered + cached} of ${scrapes} scrapes counted`);
    assert.ok(cached >= scrapes - Math.ceil(seconds) - 3, `${cached} cached`);

    await bystander.keepsReceiving(20);
    bystander.assertUnharmed(`${Math.round(scrapes / seconds)} /metrics scrapes/s`);
  } finally {
    publisher.stop();
    bystander.close();
    await h.stop();
  }
});

test('--metrics-port moves /metrics to a private listener (127.0.0.1 by default) and off the public port', async () => {
  const h = await startTestGateway({ metricsPort: 0, metricsHost: '127.0.0.1' });
  try {
    const port = h.gateway.metricsPort;
    assert.ok(port && port !== h.port, 'no metrics listener');
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /ws_connections_active/);
    assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 404, 'the demo page is not on the metrics listener');
    assert.equal((await fetch(`${h.httpUrl}/metrics`)).status, 404, '/metrics still on the public port');
  } finally {
    await h.stop();
  }
});
