/**
 * The two panel shapes every streamtune dashboard is made of, over the typed
 * builders of Grafana's foundation SDK: a caller names the panel and its
 * queries, then chains the SDK's own setters (`.unit('s')`, `.span(8)`,
 * `.description(…)`) for what differs.
 *
 * @example
 * timeseries('Train step time', ...percentiles('streamtune_train_step_duration_seconds', '5m')).unit('s');
 * stat('Consumer lag', 'sum(streamtune_consumer_lag_messages)');
 */
import {
  BigValueColorMode,
  BigValueTextMode,
  LegendDisplayMode,
  LegendPlacement,
  ReduceDataOptionsBuilder,
  SortOrder,
  TooltipDisplayMode,
  VizLegendOptionsBuilder,
  VizTooltipOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { forSelectedModels, quantile } from './promql.js';

/** The Prometheus datasource Grafana is provisioned with (grafana/provisioning/datasources). */
export const PROMETHEUS = { type: 'prometheus', uid: 'prometheus' };

/** One PromQL query; per-model metrics are filtered by the `$model` variable. */
export const query = (expr: string, legendFormat = ''): DataqueryBuilder =>
  new DataqueryBuilder().datasource(PROMETHEUS).expr(forSelectedModels(expr)).legendFormat(legendFormat);

/** Quantiles of a histogram, one query each, in the legend as `p50`, `p99`, … */
export const percentiles = (metric: string, range: string, qs = [0.5, 0.99], selector = ''): DataqueryBuilder[] =>
  qs.map((q) => query(quantile(q, metric, range, selector), `p${q * 100}`));

/** The setters both panel builders have: what every panel sets the same way. */
interface PanelFrame<P> {
  title(title: string): P;
  datasource(datasource: typeof PROMETHEUS): P;
  unit(unit: string): P;
  span(w: number): P;
  height(h: number): P;
}

/** Title, datasource, the plain-number unit and a `w`×`h` size on the 24-column grid. */
const framed = <P extends PanelFrame<P>>(panel: P, title: string, w: number, h: number): P =>
  panel.title(title).datasource(PROMETHEUS).unit('short').span(w).height(h);

/** A 4×4 stat of one instant query's last value, with the series name when `legendFormat` gives one. */
export const stat = (title: string, expr: string, legendFormat = ''): StatPanelBuilder =>
  framed(new StatPanelBuilder(), title, 4, 4)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).fields('').values(false))
    .textMode(BigValueTextMode.ValueAndName)
    .colorMode(BigValueColorMode.Value)
    .targets([query(expr, legendFormat).instant().refId('A')]);

/** A half-width time series of its queries (refIds A, B, …), legend below, the tooltip listing every series. */
export const timeseries = (title: string, ...queries: DataqueryBuilder[]): TimeseriesPanelBuilder =>
  framed(new TimeseriesPanelBuilder(), title, 12, 8)
    .legend(new VizLegendOptionsBuilder().displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom).showLegend(true))
    .tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.None))
    .targets(queries.map((q, i) => q.refId(String.fromCharCode(65 + i))));
