import { Subject, concatMap, defaultIfEmpty, finalize, interval, lastValueFrom, map, merge, takeUntil, type Observable } from 'rxjs';
import type { TrainingConfig } from '../core/index.js';
import { microBatch, type RawRecord } from '../ingest/index.js';

/**
 * The trainer's loop: records → micro-batches (`maxBatchSize`, `maxBatchWaitMs`)
 * → `step`, one at a time (`concatMap`), with empty batches every `tickMs` as
 * clock ticks so a checkpoint due by time is saved even when the stream goes
 * quiet. Settles when the records end (after the source stops) and the last step
 * is done; rejects on a step's error.
 *
 * @example
 * const done = runSteps(source.records(), config.training, 500, (batch) => trainer.step(decode(batch)));
 */
export function runSteps(
  records: Observable<RawRecord>,
  training: Pick<TrainingConfig, 'maxBatchSize' | 'maxBatchWaitMs'>,
  tickMs: number,
  step: (batch: RawRecord[]) => Promise<void>,
): Promise<void> {
  const stopTicks = new Subject<void>();
  const batches = records.pipe(microBatch<RawRecord>(training.maxBatchSize, training.maxBatchWaitMs));
  const ticks = interval(tickMs).pipe(
    takeUntil(stopTicks),
    map((): RawRecord[] => []),
  );
  return lastValueFrom(
    merge(batches.pipe(finalize(() => stopTicks.next())), ticks).pipe(
      concatMap((b) => step(b)),
      defaultIfEmpty(undefined),
    ),
  ).then(() => undefined);
}
