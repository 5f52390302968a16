import type { SpanContext } from '@opentelemetry/api';
import { activeSpanContext, ClosedError, contextOf, DeadlineExceededError, linksTo, OverloadedError, TRACE_ATTR, tracer } from '../core/index.js';
import type { Learner, Prediction } from '../learners/index.js';

export interface DynamicBatcherOptions {
  /** Coalesce concurrent requests into one forward pass. Off: each request runs alone, at once. @defaultValue true */
  enabled?: boolean;
  /** Most rows in one forward pass (a single larger request still runs, alone). @defaultValue 64 */
  maxBatchSize?: number;
  /**
   * Longest a request waits for others to join its batch. 0 still coalesces every
   * request that arrived in the same event-loop turn (flush on `setImmediate`).
   * @defaultValue 0
   */
  maxQueueDelayMs?: number;
  /** Rows waiting at most; beyond it requests are refused with RESOURCE_EXHAUSTED. @defaultValue 4096 */
  maxQueueRows?: number;
  /** Called once per forward pass (metrics). */
  onBatch?: (rows: number, computeSeconds: number) => void;
  /** Called for each request dropped before it ran (metrics). */
  onDrop?: (reason: 'deadline' | 'cancelled') => void;
  /** Clock in ms since epoch, compared with call deadlines. @defaultValue Date.now */
  now?: () => number;
}

/** What one request gets back: its predictions and where its time went. */
export interface BatchResult {
  predictions: Prediction[];
  queueSeconds: number;
  computeSeconds: number;
  batchRows: number;
  /** True for the first request of its forward pass (so a pass is counted once). */
  leadsBatch: boolean;
}

export interface BatchRequest {
  learner: Learner;
  rows: number[][];
  /** Absolute deadline in ms since epoch; Infinity for none. */
  deadlineMs: number;
  /** True once the caller went away: its work is skipped. */
  cancelled?: () => boolean;
}

interface Job extends BatchRequest {
  enqueued: bigint;
  /** The caller's span (tracing on): the batch's span links to it. */
  trace: SpanContext | undefined;
  resolve(r: BatchResult): void;
  reject(e: unknown): void;
}

const seconds = (from: bigint, to: bigint): number => Number(to - from) / 1e9;

/**
 * Triton-style dynamic batching: concurrent requests for the same loaded version
 * are coalesced into one forward pass of at most `maxBatchSize` rows and split back.
 * The queue is bounded in rows; work whose deadline passed while queued is dropped.
 * Requests keep their own version lease, so a batch never mixes versions and a
 * hot-swap never touches a queued request.
 *
 * @example
 * const batcher = new DynamicBatcher({ maxBatchSize: 64 });
 * const { predictions } = await batcher.submit({ learner, rows: [[0, 1]], deadlineMs: Infinity });
 */
export class DynamicBatcher {
  private queue: Job[] = [];
  private queuedRows = 0;
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private closed = false;
  readonly enabled: boolean;
  private readonly maxBatchSize: number;
  private readonly maxQueueDelayMs: number;
  private readonly maxQueueRows: number;
  private readonly now: () => number;

  constructor(private readonly opts: DynamicBatcherOptions = {}) {
    this.enabled = opts.enabled ?? true;
    this.maxBatchSize = opts.maxBatchSize ?? 64;
    this.maxQueueDelayMs = opts.maxQueueDelayMs ?? 0;
    this.maxQueueRows = opts.maxQueueRows ?? 4096;
    this.now = opts.now ?? Date.now;
  }

  /** Rows waiting for a forward pass. */
  get depth(): number {
    return this.queuedRows;
  }

  submit(req: BatchRequest): Promise<BatchResult> {
    if (this.closed) return Promise.reject(new ClosedError('batcher'));
    // A deadline that has passed already (a Triton `timeout` under 1 ms) is refused whether or not batching is on.
    if (req.deadlineMs <= this.now()) {
      this.opts.onDrop?.('deadline');
      return Promise.reject(new DeadlineExceededError('the deadline passed before the request was queued; it was not run'));
    }
    if (this.queuedRows + req.rows.length > this.maxQueueRows) {
      return Promise.reject(
        new OverloadedError(`prediction queue is full (${this.queuedRows} rows waiting, limit ${this.maxQueueRows}): retry later`, {
          queuedRows: this.queuedRows,
        }),
      );
    }
    return new Promise<BatchResult>((resolve, reject) => {
      const job: Job = { ...req, enqueued: process.hrtime.bigint(), trace: activeSpanContext(), resolve, reject };
      if (!this.enabled) {
        this.run([job]);
        return;
      }
      this.queue.push(job);
      this.queuedRows += req.rows.length;
      if (this.queuedRows >= this.maxBatchSize) this.flush();
      else this.schedule();
    });
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = this.maxQueueDelayMs > 0 ? setTimeout(() => this.flush(), this.maxQueueDelayMs) : setImmediate(() => this.flush());
  }

  private cancelTimer(): void {
    if (!this.timer) return;
    clearTimeout(this.timer as NodeJS.Timeout);
    clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = undefined;
  }

  /** Runs everything queued now, one forward pass per version and per `maxBatchSize` rows. */
  flush(): void {
    this.cancelTimer();
    const jobs = this.queue;
    this.queue = [];
    this.queuedRows = 0;
    const byLearner = new Map<Learner, Job[]>();
    for (const job of jobs) {
      if (!this.live(job)) continue;
      const group = byLearner.get(job.learner);
      if (group) group.push(job);
      else byLearner.set(job.learner, [job]);
    }
    for (const group of byLearner.values()) {
      let batch: Job[] = [];
      let rows = 0;
      for (const job of group) {
        if (rows > 0 && rows + job.rows.length > this.maxBatchSize) {
          this.run(batch);
          batch = [];
          rows = 0;
        }
        batch.push(job);
        rows += job.rows.length;
      }
      if (batch.length > 0) this.run(batch);
    }
  }

  /** False (and the job settled) when the caller left or its deadline passed while queued. */
  private live(job: Job): boolean {
    if (job.cancelled?.()) {
      this.opts.onDrop?.('cancelled');
      job.reject(new DeadlineExceededError('the call was cancelled before it ran'));
      return false;
    }
    if (job.deadlineMs <= this.now()) {
      this.opts.onDrop?.('deadline');
      job.reject(new DeadlineExceededError('the deadline passed while the request waited in the queue; it was not run'));
      return false;
    }
    return true;
  }

  private run(batch: Job[]): void {
    const started = process.hrtime.bigint();
    const x = batch.length === 1 ? batch[0]!.rows : batch.flatMap((j) => j.rows);
    const span = this.batchSpan(batch, x.length);
    let preds: Prediction[];
    try {
      preds = batch[0]!.learner.predict(x);
    } catch (err) {
      span?.recordException(err as Error);
      span?.end();
      for (const job of batch) job.reject(err);
      return;
    }
    span?.end();
    const done = process.hrtime.bigint();
    const computeSeconds = seconds(started, done);
    this.opts.onBatch?.(x.length, computeSeconds);
    let at = 0;
    for (const job of batch) {
      const n = job.rows.length;
      job.resolve({ predictions: preds.slice(at, at + n), queueSeconds: seconds(job.enqueued, started), computeSeconds, batchRows: x.length, leadsBatch: at === 0 });
      at += n;
    }
  }

  /**
   * The forward pass's span when a traced call is in it: the child of the call
   * when it runs alone, else linked to every traced call's span.
   */
  private batchSpan(batch: Job[], rows: number): ReturnType<typeof tracer.startSpan> | undefined {
    const traced = batch.flatMap((j) => (j.trace ? [j.trace] : []));
    if (traced.length === 0) return undefined;
    return tracer.startSpan(
      'streamtune.batch',
      { links: batch.length === 1 ? [] : linksTo(traced), attributes: { [TRACE_ATTR.batchRows]: rows, [TRACE_ATTR.batchRequests]: batch.length } },
      contextOf(batch.length === 1 ? traced[0] : undefined),
    );
  }

  /** Runs what is queued, then refuses new work. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
  }
}
