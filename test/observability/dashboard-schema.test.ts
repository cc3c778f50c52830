// The dashboards are typed by Grafana's own schema (@grafana/grafana-foundation-sdk):
// what Grafana would reject does not compile. Each `@ts-expect-error` below is
// a dashboard mistake the build must refuse; if the types ever stopped
// refusing one, tsc fails on the unused directive, so this file checks itself
// at build time. At run time: the rendered dashboards use only panel types the
// SDK has a schema for, and their JSON is what the typed renderer produced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as common from '@grafana/grafana-foundation-sdk/common';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import type * as stat from '@grafana/grafana-foundation-sdk/stat';
import { logsDashboard } from '../../src/observability/dashboards/logs-dashboard.js';
import { metricsDashboard } from '../../src/observability/dashboards/metrics-dashboard.js';
import { renderDashboard } from '../../src/observability/dashboards/panel-builder.js';

const minimal: dashboard.Dashboard = { schemaVersion: 39, templating: { list: [] }, annotations: { list: [] } };

export const refused = [
  // @ts-expect-error a dashboard without templating and annotations
  { schemaVersion: 39 } satisfies dashboard.Dashboard,
  // @ts-expect-error a field the dashboard schema does not have
  { ...minimal, refreshEvery: '10s' } satisfies dashboard.Dashboard,
  // @ts-expect-error graphTooltip is an enum (0, 1, 2), not a word
  { ...minimal, graphTooltip: 'shared' } satisfies dashboard.Dashboard,
  // @ts-expect-error a row's collapsed is a boolean
  { type: 'row', id: 1, collapsed: 'no', panels: [] } satisfies dashboard.RowPanel,
  // @ts-expect-error a threshold's value is a number or null
  { color: 'red', value: '80' } satisfies dashboard.Threshold,
  {
    ...common.defaultReduceDataOptions(),
    // @ts-expect-error calcs is a list of reducer names
    calcs: 'lastNotNull',
  } satisfies common.ReduceDataOptions,
  // @ts-expect-error a stat panel's options need every required option (here only colorMode)
  { colorMode: common.BigValueColorMode.Background } satisfies stat.Options,
];

test('rendered dashboards use only panel types with a schema in the SDK, rows first, every panel with its options', () => {
  for (const spec of [metricsDashboard, logsDashboard]) {
    const rendered = renderDashboard(spec);
    assert.equal(rendered.schemaVersion, 39);
    const types = new Set((rendered.panels ?? []).map((p) => p.type));
    for (const t of types) assert.ok(['row', 'timeseries', 'gauge', 'stat', 'logs'].includes(t), `${spec.uid}: panel type ${t}`);
    assert.equal(rendered.panels?.[0]?.type, 'row');
    for (const p of rendered.panels ?? []) {
      if (p.type === 'row') continue;
      const panel = p as dashboard.Panel;
      assert.ok(panel.options && panel.fieldConfig && (panel.targets?.length ?? 0) > 0, `${spec.uid}: ${panel.title} has options, field config and queries`);
      // The SDK's dataquery marker is a method: it never reaches the JSON.
      assert.doesNotMatch(JSON.stringify(panel), /_implementsDataqueryVariant/);
    }
  }
  assert.equal(refused.length, 7);
});
