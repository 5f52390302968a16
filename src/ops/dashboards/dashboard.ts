/** The parts of Grafana's dashboard JSON (schemaVersion 39) that streamtune uses. */
export interface Target {
  expr: string;
  legendFormat?: string;
  instant?: boolean;
}

export interface PanelSpec {
  type: 'stat' | 'timeseries' | 'row';
  title: string;
  description?: string;
  unit?: string;
  targets?: Target[];
  /** Width in grid columns (24 wide). @defaultValue 4 for stat, 12 for timeseries, 24 for row */
  w?: number;
  /** @defaultValue 4 for stat, 8 for timeseries, 1 for row */
  h?: number;
  min?: number;
  max?: number;
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  panels: PanelSpec[];
}

import { forSelectedModels } from './promql.js';

const DS = { type: 'prometheus', uid: 'prometheus' } as const;

/** The dashboards' `model` variable: every model that serves, all of them by default. */
export const MODEL_VARIABLE = {
  type: 'query',
  name: 'model',
  label: 'model',
  datasource: DS,
  definition: 'label_values(streamtune_model_info, model)',
  query: { query: 'label_values(streamtune_model_info, model)', refId: 'model' },
  refresh: 2,
  includeAll: true,
  multi: true,
  allValue: '.*',
  current: { selected: true, text: ['All'], value: ['$__all'] },
  sort: 1,
};

/**
 * Version changes and rollbacks as annotations on every time series: a new
 * `version` label on streamtune_model_info marks a swap (and names the version).
 */
export const ANNOTATIONS = [
  {
    name: 'Version swaps',
    datasource: DS,
    enable: true,
    iconColor: 'blue',
    expr: 'max by (model, version) (streamtune_model_info) unless max by (model, version) (streamtune_model_info offset 15s)',
    step: '15s',
    titleFormat: 'serving {{model}} {{version}}',
    textFormat: 'version swap',
    useValueForTime: false,
  },
  {
    name: 'Rollbacks',
    datasource: DS,
    enable: true,
    iconColor: 'red',
    expr: 'sum by (model, trigger) (increase(streamtune_rollbacks_total[1m])) > 0',
    step: '15s',
    titleFormat: 'rollback of {{model}} ({{trigger}})',
    textFormat: '',
    useValueForTime: false,
  },
];

/** Lays the panels out left to right, top to bottom, and returns Grafana's dashboard JSON. */
export function buildDashboard(spec: DashboardSpec): Record<string, unknown> {
  let x = 0;
  let y = 0;
  let rowH = 0;
  const panels = spec.panels.map((p, i) => {
    const w = p.w ?? (p.type === 'stat' ? 4 : p.type === 'row' ? 24 : 12);
    const h = p.h ?? (p.type === 'stat' ? 4 : p.type === 'row' ? 1 : 8);
    if (x + w > 24 || p.type === 'row') {
      x = 0;
      y += rowH;
      rowH = 0;
    }
    const gridPos = { x, y, w, h };
    x += w;
    rowH = Math.max(rowH, h);
    const id = i + 1;
    if (p.type === 'row') return { type: 'row', title: p.title, collapsed: false, gridPos, id, panels: [] };
    return {
      type: p.type,
      title: p.title,
      description: p.description ?? '',
      datasource: DS,
      gridPos,
      targets: (p.targets ?? []).map((t, j) => ({
        datasource: DS,
        expr: forSelectedModels(t.expr),
        legendFormat: t.legendFormat ?? '',
        refId: String.fromCharCode(65 + j),
        ...(t.instant || p.type === 'stat' ? { instant: true } : {}),
      })),
      fieldConfig: { defaults: { unit: p.unit ?? 'short', ...(p.min === undefined ? {} : { min: p.min }), ...(p.max === undefined ? {} : { max: p.max }) }, overrides: [] },
      options:
        p.type === 'stat'
          ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, textMode: 'value_and_name', colorMode: 'value' }
          : { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
      id,
    };
  });
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: ['streamtune'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    refresh: '10s',
    time: { from: 'now-30m', to: 'now' },
    templating: { list: [MODEL_VARIABLE] },
    annotations: { list: ANNOTATIONS.map((a) => ({ ...a, expr: forSelectedModels(a.expr) })) },
    links: [{ type: 'dashboards', tags: ['streamtune'], asDropdown: false, title: 'streamtune', includeVars: false, keepTime: true }],
    panels,
  };
}
