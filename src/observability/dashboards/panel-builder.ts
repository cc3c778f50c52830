// Renders Grafana dashboards (the classic JSON model, which Grafana 12 still
// loads and migrates) typed by Grafana's own schema: the types and option
// defaults of @grafana/grafana-foundation-sdk, generated from the schemas
// Grafana validates with. A field Grafana does not know, a missing required
// option or a value outside an enum fails the build (tsc), not a dashboard
// load. Dashboards are written as code here and rendered to
// deploy/grafana/dashboards/*.json by write-dashboards.ts; a test checks that
// the committed JSON is exactly what this code renders and evaluates every
// query against a real Prometheus. A development-time module: nothing the
// gateway runs imports it.
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as gauge from '@grafana/grafana-foundation-sdk/gauge';
import * as logs from '@grafana/grafana-foundation-sdk/logs';
import type * as loki from '@grafana/grafana-foundation-sdk/loki';
import type * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

/** Datasource uids fixed by deploy/grafana/provisioning/datasources/datasources.yml. */
export const PROMETHEUS_UID = 'odin-prometheus';
export const LOKI_UID = 'odin-loki';

export const PROMETHEUS = { type: 'prometheus', uid: PROMETHEUS_UID } as const;
export const LOKI = { type: 'loki', uid: LOKI_UID } as const;
export type Datasource = typeof PROMETHEUS | typeof LOKI;

export interface Query {
  /** PromQL or LogQL. */
  expr: string;
  legend?: string;
}

export interface GridPos {
  h: number;
  w: number;
  x: number;
  y: number;
}

export type Unit =
  | 'short'
  | 'percent'
  | 'percentunit'
  | 'bytes'
  | 'Bps'
  | 's'
  | 'reqps'
  | 'ops'
  | 'none';

export interface PanelSpec {
  title: string;
  description: string;
  kind: 'timeseries' | 'gauge' | 'stat' | 'logs';
  queries: Query[];
  /** Width in grid columns (of 24) and height in rows. */
  w?: number;
  h?: number;
  unit?: Unit;
  min?: number;
  max?: number;
  /** Threshold steps after the base (green) one: [value, color]. */
  thresholds?: Array<[number, string]>;
  /** Value mappings for stat panels, e.g. 0 -> DOWN. */
  mappings?: Array<{ value: string; text: string; color: string }>;
  stack?: boolean;
}

export interface RowSpec {
  title: string;
  panels: PanelSpec[];
}

export interface TemplateVar {
  name: string;
  label: string;
  /** PromQL for label_values(...). */
  query: string;
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  datasource: Datasource;
  refresh: string;
  timeFrom: string;
  variables: TemplateVar[];
  rows: RowSpec[];
}

/** A query as Grafana stores it in a panel: Prometheus's or Loki's dataquery. */
type Target = prometheus.Dataquery | loki.dataquery;
/** The SDK's marker of a dataquery variant: a method, so JSON.stringify leaves it out. */
const DATAQUERY = { _implementsDataqueryVariant(): void {} };

const REF_IDS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function fieldConfig(p: PanelSpec): dashboard.FieldConfigSource {
  const steps: dashboard.Threshold[] = [{ color: 'green', value: null }];
  for (const [value, color] of p.thresholds ?? []) steps.push({ color, value });
  const defaults: dashboard.FieldConfig = {
    unit: p.unit ?? 'short',
    thresholds: { mode: dashboard.ThresholdsMode.Absolute, steps },
  };
  if (p.min !== undefined) defaults.min = p.min;
  if (p.max !== undefined) defaults.max = p.max;
  if (p.mappings) {
    const options: Record<string, dashboard.ValueMappingResult> = {};
    p.mappings.forEach((m, index) => (options[m.value] = { text: m.text, color: m.color, index }));
    defaults.mappings = [{ type: dashboard.MappingType.ValueToText, options }];
  }
  if (p.kind === 'timeseries') {
    const custom: timeseries.FieldConfig = {
      drawStyle: common.GraphDrawStyle.Line,
      lineWidth: 1,
      fillOpacity: p.stack ? 30 : 10,
      showPoints: common.VisibilityMode.Never,
      spanNulls: true,
      stacking: { mode: p.stack ? common.StackingMode.Normal : common.StackingMode.None, group: 'A' },
    };
    defaults.custom = custom;
  }
  return { defaults, overrides: [] };
}

const lastValue = (): common.ReduceDataOptions => ({ calcs: ['lastNotNull'], fields: '', values: false });

function panelOptions(p: PanelSpec): timeseries.Options | gauge.Options | stat.Options | logs.Options {
  switch (p.kind) {
    case 'timeseries':
      return {
        legend: { displayMode: common.LegendDisplayMode.Table, placement: common.LegendPlacement.Bottom, showLegend: true, calcs: ['lastNotNull', 'max'] },
        tooltip: { mode: common.TooltipDisplayMode.Multi, sort: common.SortOrder.Descending },
      } satisfies timeseries.Options;
    case 'gauge':
      return { ...gauge.defaultOptions(), reduceOptions: lastValue(), showThresholdLabels: false, showThresholdMarkers: true } satisfies gauge.Options;
    case 'stat':
      return {
        ...stat.defaultOptions(),
        reduceOptions: lastValue(),
        colorMode: common.BigValueColorMode.Background,
        graphMode: common.BigValueGraphMode.None,
        textMode: common.BigValueTextMode.ValueAndName,
      } satisfies stat.Options;
    case 'logs':
      return {
        ...logs.defaultOptions(),
        showTime: true,
        wrapLogMessage: true,
        sortOrder: common.LogsSortOrder.Descending,
        enableLogDetails: true,
        prettifyLogMessage: false,
        dedupStrategy: common.LogsDedupStrategy.None,
      } satisfies logs.Options;
  }
}

function target(q: Query, index: number, ds: Datasource, kind: PanelSpec['kind']): Target {
  const base = { datasource: { ...ds }, refId: REF_IDS[index]!, expr: q.expr, ...(q.legend !== undefined ? { legendFormat: q.legend } : {}) };
  if (ds.type === 'prometheus') return { ...base, range: true, instant: false, ...DATAQUERY } satisfies prometheus.Dataquery;
  const logsQuery: loki.dataquery = { ...base, ...DATAQUERY };
  if (kind === 'logs') logsQuery.queryType = 'range' satisfies `${loki.LokiQueryType}`;
  return logsQuery;
}

/**
 * Renders a dashboard. Panels flow left to right in rows of 24 columns; ids and
 * grid positions are derived from the order, so the output is deterministic.
 */
export function renderDashboard(spec: DashboardSpec): dashboard.Dashboard {
  const panels: Array<dashboard.Panel | dashboard.RowPanel> = [];
  let id = 1;
  let y = 0;
  for (const row of spec.rows) {
    panels.push({ type: 'row', id: id++, title: row.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    let x = 0;
    let rowHeight = 0;
    for (const p of row.panels) {
      const w = p.w ?? 12;
      const h = p.h ?? 8;
      if (x + w > 24) {
        x = 0;
        y += rowHeight;
        rowHeight = 0;
      }
      panels.push({
        type: p.kind,
        id: id++,
        title: p.title,
        description: p.description,
        datasource: { ...spec.datasource },
        gridPos: { h, w, x, y },
        fieldConfig: fieldConfig(p),
        options: panelOptions(p),
        targets: p.queries.map((q, i) => target(q, i, spec.datasource, p.kind)),
      });
      x += w;
      rowHeight = Math.max(rowHeight, h);
    }
    y += rowHeight;
  }
  const variables: dashboard.VariableModel[] = spec.variables.map((v) => ({
    name: v.name,
    label: v.label,
    type: dashboard.VariableType.Query,
    datasource: { ...spec.datasource },
    query: { query: v.query, refId: `${v.name}-query` },
    definition: v.query,
    refresh: dashboard.VariableRefresh.OnTimeRangeChanged,
    includeAll: true,
    multi: true,
    allValue: '.*',
    current: { selected: true, text: ['All'], value: ['$__all'] },
    sort: dashboard.VariableSort.AlphabeticalAsc,
    hide: dashboard.VariableHide.DontHide,
  }));
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: spec.tags,
    editable: true,
    graphTooltip: dashboard.DashboardCursorSync.Crosshair,
    schemaVersion: 39,
    version: 1,
    timezone: 'browser',
    refresh: spec.refresh,
    time: { from: spec.timeFrom, to: 'now' },
    timepicker: {},
    annotations: { list: [] },
    links: [],
    templating: { list: variables },
    panels,
  };
}

/** Every query of a dashboard spec, with the panel it belongs to. */
export function queriesOf(spec: DashboardSpec): Array<{ panel: string; expr: string }> {
  return spec.rows.flatMap((r) => r.panels.flatMap((p) => p.queries.map((q) => ({ panel: `${r.title} / ${p.title}`, expr: q.expr }))));
}
