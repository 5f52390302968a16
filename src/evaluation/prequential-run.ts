import type { Learner, Task } from '../learners/index.js';
import { PrequentialAccuracy } from './prequential-accuracy.js';
import { PrequentialError } from './prequential-error.js';
import { seededRandom } from '../core/index.js';

export interface StreamRow {
  id: string;
  x: number[];
  y: string | number;
}

/**
 * Test-then-train over a stream in micro-batches: every row is predicted before
 * the learner sees it and scored against its true label; then the learner learns
 * the rows whose label it is allowed to see (`labelShare`, a fixed seeded subset)
 * and, if it can, the others as unlabelled. Returns accuracy or MAE over all rows.
 */
export async function prequentialRun(learner: Learner, rows: readonly StreamRow[], task: Task, o: { labelShare?: number; batchSize?: number; seed?: number } = {}): Promise<number> {
  const share = o.labelShare ?? 1;
  const rand = seededRandom(o.seed ?? 13);
  const visible = rows.map(() => rand() < share);
  const size = o.batchSize ?? 16;
  const acc = new PrequentialAccuracy();
  const mae = new PrequentialError();
  for (let s = 0; s < rows.length; s += size) {
    const batch = rows.slice(s, s + size);
    const preds = learner.predict(batch.map((r) => r.x));
    batch.forEach((r, i) => {
      if (task === 'regression') mae.update(preds[i]!.value!, Number(r.y));
      else acc.update(preds[i]!.label === String(r.y));
    });
    const lab = batch.filter((_, i) => visible[s + i]);
    const unl = batch.filter((_, i) => !visible[s + i]);
    if (lab.length > 0) await learner.learn(lab.map((r) => r.x), lab.map((r) => r.y));
    if (unl.length > 0 && learner.learnUnlabelled) await learner.learnUnlabelled(unl.map((r) => r.x), unl.map((r) => r.id));
  }
  return task === 'regression' ? mae.totalError / mae.total : acc.totalHits / acc.total;
}
