import type { Example, Learner } from '../learners/index.js';
import { boxMap } from './box-map.js';
import { keypointPck } from './keypoint-pck.js';
import { spanF1 } from './span-f1.js';

/** Share of examples whose predicted label equals the true label. */
export function accuracy(learner: Learner, data: readonly Example[]): number {
  if (data.length === 0) return 0;
  const preds = learner.predict(data.map((d) => d.x));
  let ok = 0;
  preds.forEach((p, i) => {
    if (p.label === String(data[i]!.y)) ok++;
  });
  return ok / data.length;
}

/** Mean absolute error of a regressor's predictions. */
export function meanAbsoluteError(learner: Learner, data: readonly Example[]): number {
  if (data.length === 0) return 0;
  const preds = learner.predict(data.map((d) => d.x));
  return preds.reduce((s, p, i) => s + Math.abs((p.value ?? Number.NaN) - Number(data[i]!.y)), 0) / data.length;
}

/** Higher is better: accuracy for a classifier, entity F1 for a span tagger, mAP@0.5 for boxes, PCK for keypoints, minus the MAE for a regressor. */
export function score(learner: Learner, data: readonly Example[]): number {
  const task = learner.describe().task;
  if (task === 'spans') return spanF1(learner, data);
  if (task === 'boxes') return boxMap(learner, data);
  if (task === 'keypoints') return keypointPck(learner, data);
  return task === 'regression' ? -meanAbsoluteError(learner, data) : accuracy(learner, data);
}
