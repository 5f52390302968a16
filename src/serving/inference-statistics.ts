/** A count and the nanoseconds they took in all (Triton's `StatisticDuration`). */
export interface StatisticDuration {
  count: number;
  ns: number;
}

/** One model version's statistics, in Triton's `ModelStatistics` shape (camelCase, as proto-loader reads it). */
export interface VersionStatistics {
  name: string;
  version: string;
  /** ms since the epoch of the last successful inference; 0 before the first. */
  lastInference: number;
  /** Rows inferred. */
  inferenceCount: number;
  /** Forward passes (a batch of several requests counts once). */
  executionCount: number;
  inferenceStats: Record<'success' | 'fail' | 'queue' | 'computeInput' | 'computeInfer' | 'computeOutput' | 'cacheHit' | 'cacheMiss', StatisticDuration>;
  batchStats: { batchSize: number; computeInput: StatisticDuration; computeInfer: StatisticDuration; computeOutput: StatisticDuration }[];
  memoryUsage: never[];
}

/** What one answered request adds. */
export interface AnsweredRequest {
  model: string;
  version: string;
  rows: number;
  /** Whole request, from the engine taking it to the answer. */
  totalSeconds: number;
  queueSeconds: number;
  /** Featurizing the inputs. */
  inputSeconds: number;
  /** The forward pass of the batch the request ran in. */
  computeSeconds: number;
  /** Rows of that forward pass. */
  batchRows: number;
  /** True for one request of each batch, so a forward pass is counted once. */
  leadsBatch: boolean;
}

/** Versions per model whose statistics are kept (more than are ever loaded at once: `serving.keepWarmVersions` is at most 64). */
const MAX_VERSIONS_KEPT = 100;

const zero = (): StatisticDuration => ({ count: 0, ns: 0 });
const add = (d: StatisticDuration, seconds: number, count = 1): void => {
  d.count += count;
  d.ns += Math.round(seconds * 1e9);
};

function empty(name: string, version: string): VersionStatistics {
  return {
    name,
    version,
    lastInference: 0,
    inferenceCount: 0,
    executionCount: 0,
    inferenceStats: {
      success: zero(),
      fail: zero(),
      queue: zero(),
      computeInput: zero(),
      computeInfer: zero(),
      computeOutput: zero(),
      cacheHit: zero(),
      cacheMiss: zero(),
    },
    batchStats: [],
    memoryUsage: [],
  };
}

/**
 * Per model version inference statistics, as Triton's statistics extension
 * reports them: successes and failures with their time, queue, input
 * (featurizing) and forward-pass time, rows and forward passes, and forward
 * passes by batch size. streamtune has no response cache and does not time
 * output encoding apart: `cache_hit`, `cache_miss` and `compute_output` stay 0.
 * Kept in memory from the server's start, for the newest 100 versions of each model called.
 *
 * @example
 * stats.answered({ model: 'm', version: 'v1', rows: 2, totalSeconds: 0.002, queueSeconds: 0.0005, inputSeconds: 0.0001, computeSeconds: 0.001, batchRows: 2, leadsBatch: true });
 * stats.of('m', ['v1']); // [{ name: 'm', version: 'v1', inferenceCount: 2, executionCount: 1, … }]
 */
export class InferenceStatistics {
  private readonly byVersion = new Map<string, VersionStatistics>();

  constructor(private readonly now: () => number = Date.now) {}

  private entry(model: string, version: string): VersionStatistics {
    const key = `${model}\u0000${version}`;
    let s = this.byVersion.get(key);
    if (s) return s;
    this.byVersion.set(key, (s = empty(model, version)));
    // Online learning makes a version every few seconds: only the newest ones called are kept.
    const ofModel = [...this.byVersion.keys()].filter((k) => k.startsWith(`${model}\u0000`));
    for (const old of ofModel.slice(0, Math.max(0, ofModel.length - MAX_VERSIONS_KEPT))) this.byVersion.delete(old);
    return s;
  }

  answered(r: AnsweredRequest): void {
    const s = this.entry(r.model, r.version);
    const st = s.inferenceStats;
    add(st.success, r.totalSeconds);
    add(st.queue, r.queueSeconds);
    add(st.computeInput, r.inputSeconds);
    add(st.computeInfer, r.computeSeconds);
    s.inferenceCount += r.rows;
    s.lastInference = this.now();
    if (!r.leadsBatch) return;
    s.executionCount++;
    let b = s.batchStats.find((x) => x.batchSize === r.batchRows);
    if (!b) {
      b = { batchSize: r.batchRows, computeInput: zero(), computeInfer: zero(), computeOutput: zero() };
      s.batchStats.push(b);
      s.batchStats.sort((x, y) => x.batchSize - y.batchSize);
    }
    add(b.computeInfer, r.computeSeconds);
  }

  /** A request to `version` that failed after the version was chosen. */
  failed(model: string, version: string, totalSeconds: number): void {
    add(this.entry(model, version).inferenceStats.fail, totalSeconds);
  }

  /** The statistics of `model`'s `versions` (zeros for a version not called yet), as copies. */
  of(model: string, versions: readonly string[]): VersionStatistics[] {
    return versions.map((v) => structuredClone(this.byVersion.get(`${model}\u0000${v}`) ?? empty(model, v)));
  }
}
