// A small builder for Grafana dashboards (the classic JSON model, which
// Grafana 12 still loads and migrates). Dashboards are written as code here
// and rendered to deploy/grafana/dashboards/*.json by write-dashboards.ts; a
// test checks that the committed JSON is exactly what this code renders and
// evaluates every query against a real Prometheus.

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

// Grafana's JSON is loosely typed; the builder's output is plain data.
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const REF_IDS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function fieldConfig(p: PanelSpec): Json {
  const steps: Json[] = [{ color: 'green', value: null }];
  for (const [value, color] of p.thresholds ?? []) steps.push({ color, value });
  const defaults: { [key: string]: Json } = {
    unit: p.unit ?? 'short',
    thresholds: { mode: 'absolute', steps },
  };
  if (p.min !== undefined) defaults.min = p.min;
  if (p.max !== undefined) defaults.max = p.max;
  if (p.mappings) {
    const options: { [key: string]: Json } = {};
    p.mappings.forEach((m, index) => (options[m.value] = { text: m.text, color: m.color, index }));
    defaults.mappings = [{ type: 'value', options }];
  }
  if (p.kind === 'timeseries') {
    defaults.custom = {
      drawStyle: 'line',
      lineWidth: 1,
      fillOpacity: p.stack ? 30 : 10,
      showPoints: 'never',
      spanNulls: true,
      stacking: { mode: p.stack ? 'normal' : 'none', group: 'A' },
    };
  }
  return { defaults, overrides: [] };
}

function panelOptions(p: PanelSpec): Json {
  switch (p.kind) {
    case 'timeseries':
      return {
        legend: { displayMode: 'table', placement: 'bottom', showLegend: true, calcs: ['lastNotNull', 'max'] },
        tooltip: { mode: 'multi', sort: 'desc' },
      };
    case 'gauge':
      return { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, showThresholdLabels: false, showThresholdMarkers: true };
    case 'stat':
      return { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'background', graphMode: 'none', textMode: 'value_and_name' };
    case 'logs':
      return { showTime: true, wrapLogMessage: true, sortOrder: 'Descending', enableLogDetails: true, prettifyLogMessage: false, dedupStrategy: 'none' };
  }
}

function target(q: Query, index: number, ds: Datasource, kind: PanelSpec['kind']): Json {
  const t: { [key: string]: Json } = { datasource: { ...ds }, refId: REF_IDS[index]!, expr: q.expr };
  if (q.legend !== undefined) t.legendFormat = q.legend;
  if (ds.type === 'prometheus') {
    t.range = true;
    t.instant = false;
  } else if (kind === 'logs') {
    t.queryType = 'range';
  }
  return t;
}

/**
 * Renders a dashboard. Panels flow left to right in rows of 24 columns; ids and
 * grid positions are derived from the order, so the output is deterministic.
 */
export function renderDashboard(spec: DashboardSpec): Json {
  const panels: Json[] = [];
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
  const variables: Json[] = spec.variables.map((v) => ({
    name: v.name,
    label: v.label,
    type: 'query',
    datasource: { ...spec.datasource },
    query: { query: v.query, refId: `${v.name}-query` },
    definition: v.query,
    refresh: 2,
    includeAll: true,
    multi: true,
    allValue: '.*',
    current: { selected: true, text: ['All'], value: ['$__all'] },
    sort: 1,
    hide: 0,
  }));
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: spec.tags,
    editable: true,
    graphTooltip: 1,
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
