import { UpstreamError } from '../core/index.js';
import { parseMetricsText, type Sample } from '../ops/index.js';
import { callRpc } from './admin-client.js';

/** What `streamtune status` reports about a running server. */
export interface ServerStatus {
  model: string;
  version: string;
  backend: string;
  pinned: string | null;
  createdAt: string;
  /** Seconds since the serving version was created. */
  ageSeconds: number;
  examplesSeen: number;
  /** The serving version's prequential accuracy when it was saved (meta.json), if any. */
  versionAccuracy: number | null;
  /** Live prequential accuracy from /metrics (null without a metrics URL or before any labelled event). */
  onlineAccuracy: number | null;
  /** Consumer lag per `topic/partition` and in total (broker offsets; null without a trainer). */
  consumerLag: { total: number; partitions: Record<string, number> } | null;
  lastSwap: string | null;
  swaps: { ok: number; failed: number };
  trainerUp: boolean | null;
  versions: { total: number; rejected: number; candidates: number };
}

interface ModelInfoAnswer {
  name: string;
  version: string;
  backend: string;
  examplesSeen: string;
  createdAt: string;
  pinned: string;
}
interface VersionsAnswer {
  versions: { version: string; state: string; metrics: Record<string, number> }[];
}

/** The models a server serves (ListModels), the default one first; the default alone when none has a version yet. */
export async function servedModels(address: string): Promise<string[]> {
  const { models, defaultModel } = await callRpc<{ models: { name: string }[]; defaultModel: string }>(address, 'streamtune.v1.Predictor', 'ListModels', {});
  const names = models.map((m) => m.name);
  if (names.length === 0) return [defaultModel];
  return [...names.filter((n) => n === defaultModel), ...names.filter((n) => n !== defaultModel)];
}

const pick = (samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

/**
 * Asks a running server for its state: GetModel and ListVersions over gRPC, and
 * (when `metricsUrl` is given) its /metrics for live accuracy, lag and swaps.
 */
export async function collectStatus(opts: { address: string; metricsUrl?: string; model?: string; now?: () => number }): Promise<ServerStatus> {
  const model = opts.model ?? '';
  const [info, list] = await Promise.all([
    callRpc<ModelInfoAnswer>(opts.address, 'streamtune.v1.Predictor', 'GetModel', { model }),
    callRpc<VersionsAnswer>(opts.address, 'streamtune.v1.Predictor', 'ListVersions', { model }),
  ]);
  let samples: Sample[] = [];
  if (opts.metricsUrl) {
    const url = opts.metricsUrl;
    const what = 'give the server\'s metrics URL with --metrics-url URL, or --metrics-url "" to skip it';
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) }).catch((err: unknown) => {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new UpstreamError(`could not read ${url} (${cause}): ${what}`, { url }, { cause: err });
    });
    if (!res.ok) throw new UpstreamError(`${url} answered ${res.status}: ${what}`, { url, status: res.status }, { retriable: res.status >= 500 });
    samples = parseMetricsText(await res.text());
  }
  const m = { model: info.name };
  const acc = pick(samples, 'streamtune_online_accuracy', m)[0]?.value;
  const lagSamples = pick(samples, 'streamtune_consumer_lag_messages');
  const lastSwap = pick(samples, 'streamtune_model_last_swap_timestamp_seconds', m)[0]?.value;
  const trainerUp = pick(samples, 'streamtune_trainer_up')[0]?.value;
  const serving = list.versions.find((v) => v.version === info.version);
  const versionAccuracy = serving?.metrics.prequentialAccuracy;
  return {
    model: info.name,
    version: info.version,
    backend: info.backend,
    pinned: info.pinned || null,
    createdAt: info.createdAt,
    ageSeconds: Math.max(0, ((opts.now ?? Date.now)() - Date.parse(info.createdAt)) / 1000),
    examplesSeen: Number(info.examplesSeen),
    versionAccuracy: versionAccuracy !== undefined && versionAccuracy >= 0 ? versionAccuracy : null,
    onlineAccuracy: acc ?? null,
    consumerLag: lagSamples.length
      ? { total: lagSamples.reduce((a, s) => a + s.value, 0), partitions: Object.fromEntries(lagSamples.map((s) => [`${s.labels.topic}/${s.labels.partition}`, s.value])) }
      : null,
    lastSwap: lastSwap ? new Date(lastSwap * 1000).toISOString() : null,
    swaps: {
      ok: pick(samples, 'streamtune_model_swaps_total', { ...m, result: 'ok' })[0]?.value ?? 0,
      failed: pick(samples, 'streamtune_model_swaps_total', { ...m, result: 'failed' })[0]?.value ?? 0,
    },
    trainerUp: trainerUp === undefined ? null : trainerUp === 1,
    versions: {
      total: list.versions.length,
      rejected: list.versions.filter((v) => v.state === 'rejected').length,
      candidates: list.versions.filter((v) => v.state === 'candidate').length,
    },
  };
}

const pct = (x: number | null): string => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);

function duration(seconds: number): string {
  if (seconds < 120) return `${seconds.toFixed(0)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(0)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}

/** The status as an operator reads it in a terminal. */
export function formatStatus(s: ServerStatus): string {
  const lag = s.consumerLag ? `${s.consumerLag.total} (${Object.entries(s.consumerLag.partitions).map(([p, n]) => `${p}: ${n}`).join(', ')})` : '—';
  const rows: [string, string][] = [
    ['model', s.model],
    ['serving', `${s.version}${s.pinned ? ' (pinned)' : ''} on ${s.backend}`],
    ['age', `${duration(s.ageSeconds)} (created ${s.createdAt})`],
    ['examples seen', String(s.examplesSeen)],
    ['online accuracy', `${pct(s.onlineAccuracy)} live, ${pct(s.versionAccuracy)} when saved`],
    ['consumer lag', lag],
    ['last swap', s.lastSwap ?? '—'],
    ['swaps', `${s.swaps.ok} ok, ${s.swaps.failed} failed`],
    ['trainer', s.trainerUp === null ? '—' : s.trainerUp ? 'up' : 'DOWN'],
    ['versions', `${s.versions.total} (${s.versions.candidates} candidates, ${s.versions.rejected} rejected)`],
  ];
  return rows.map(([k, v]) => `${k.padEnd(16)} ${v}`).join('\n');
}
