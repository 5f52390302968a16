import { UpstreamError } from '../../core/index.js';

/** One series of a range query: its labels and [time ms, value] points. */
export interface RangeSeries {
  labels: Record<string, string>;
  points: [number, number][];
}

type RangeAnswer = { status: string; error?: string; errorType?: string; data?: { result: { metric: Record<string, string>; values: [number, string][] }[] } };

/**
 * Prometheus `query_range` between `start` and `end` (ms) every `stepSeconds`.
 *
 * @example
 * const [acc] = await queryRange('http://127.0.0.1:9090', 'max(streamtune_online_accuracy)', start, end, 15);
 */
export async function queryRange(base: string, expr: string, start: number, end: number, stepSeconds: number): Promise<RangeSeries[]> {
  const url = `${base.replace(/\/$/, '')}/api/v1/query_range?query=${encodeURIComponent(expr)}&start=${start / 1000}&end=${end / 1000}&step=${stepSeconds}`;
  let res: RangeAnswer;
  try {
    res = (await (await fetch(url)).json()) as RangeAnswer;
  } catch (err) {
    throw new UpstreamError(`could not query Prometheus at ${base} (${expr}): ${(err as Error).message}`, { url: base, query: expr }, { cause: err });
  }
  if (res.status !== 'success') {
    // bad_data: Prometheus rejected the query itself, which trying again will not change.
    throw new UpstreamError(`Prometheus query failed (${expr}): ${res.error ?? res.status}`, { url: base, query: expr }, { retriable: res.errorType !== 'bad_data' });
  }
  return (res.data?.result ?? []).map((r) => ({ labels: r.metric, points: r.values.map(([t, v]): [number, number] => [t * 1000, Number(v)]) }));
}

/**
 * Times a counter went up: each sample above the one before, and the first
 * sample of a series born inside the range (counters such as rollbacks have
 * no series until the first increment).
 */
export function counterIncreases(s: RangeSeries, rangeStart: number, stepSeconds: number): number[] {
  const out: number[] = [];
  s.points.forEach(([t, v], i) => {
    const prev = s.points[i - 1];
    if (prev ? v > prev[1] : v > 0 && t > rangeStart + stepSeconds * 1000) out.push(t);
  });
  return out;
}
