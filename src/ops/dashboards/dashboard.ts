import {
  AnnotationQueryBuilder,
  DashboardBuilder,
  DashboardLinkBuilder,
  DashboardLinkType,
  QueryVariableBuilder,
  RowBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import type { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import type { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { PROMETHEUS } from './panels.js';
import { forSelectedModels } from './promql.js';

/** One streamtune dashboard: what tells it apart, and its panels in reading order. */
export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  /**
   * Laid out left to right, top to bottom, on Grafana's 24-column grid; a row starts a new line. The SDK
   * starts a new line only once one is full, so the widths of a line add up to 24.
   */
  panels: (StatPanelBuilder | TimeseriesPanelBuilder | RowBuilder)[];
}

/** The dashboards' `model` variable: every model that serves, all of them by default. */
const modelVariable = (): QueryVariableBuilder =>
  new QueryVariableBuilder('model')
    .label('model')
    .datasource(PROMETHEUS)
    .definition('label_values(streamtune_model_info, model)')
    .query({ query: 'label_values(streamtune_model_info, model)', refId: 'model' })
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .includeAll(true)
    .multi(true)
    .allValue('.*')
    .current({ selected: true, text: ['All'], value: ['$__all'] })
    .sort(VariableSort.AlphabeticalAsc);

const annotation = (name: string, iconColor: string, expr: string, titleFormat: string, textFormat: string): AnnotationQueryBuilder =>
  new AnnotationQueryBuilder()
    .name(name)
    .datasource(PROMETHEUS)
    .enable(true)
    .iconColor(iconColor)
    .expr(forSelectedModels(expr))
    .step('15s')
    .titleFormat(titleFormat)
    .textFormat(textFormat)
    .useValueForTime(false);

/**
 * Version changes and rollbacks as annotations on every time series: a new
 * `version` label on streamtune_model_info marks a swap (and names the version).
 */
const annotations = (): AnnotationQueryBuilder[] => [
  annotation(
    'Version swaps',
    'blue',
    'max by (model, version) (streamtune_model_info) unless max by (model, version) (streamtune_model_info offset 15s)',
    'serving {{model}} {{version}}',
    'version swap',
  ),
  annotation('Rollbacks', 'red', 'sum by (model, trigger) (increase(streamtune_rollbacks_total[1m])) > 0', 'rollback of {{model}} ({{trigger}})', ''),
];

/** Grafana's dashboard JSON for `spec`: the `model` variable, the annotations, links to the other streamtune dashboards. */
export function buildDashboard(spec: DashboardSpec): Record<string, unknown> {
  const b = new DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags(['streamtune'])
    .timezone('browser')
    .version(1)
    .refresh('10s')
    .time({ from: 'now-30m', to: 'now' })
    .withVariable(modelVariable())
    .annotations(annotations())
    .link(new DashboardLinkBuilder('streamtune').type(DashboardLinkType.Dashboards).tags(['streamtune']).asDropdown(false).includeVars(false).keepTime(true));
  spec.panels.forEach((p, i) => (p instanceof RowBuilder ? b.withRow(p.id(i + 1)) : b.withPanel(p.id(i + 1))));
  const d = b.build();
  // The SDK's v1 builders default every annotation toggle and link into the
  // controls menu (Grafana ≥ 12.3 hides them there); without `placement` they
  // show above the panels, as they always have.
  for (const a of d.annotations.list ?? []) delete a.placement;
  for (const l of d.links ?? []) delete l.placement;
  // What the file holds: JSON drops the SDK's marker methods on queries.
  return JSON.parse(JSON.stringify(d)) as Record<string, unknown>;
}
