import { InvalidInputError } from '../core/index.js';
import type { Prediction } from './learner.js';

/**
 * A classifier's labels and its output units, both ways: the output index of a
 * label, and one {@link Prediction} per row from the softmax probabilities.
 *
 * @example
 * labelIndexOf(['a', 'b'], 'b'); // 1
 * classPredictions([0.2, 0.8], ['a', 'b']); // [{ label: 'b', confidence: 0.8, scores: { a: 0.2, b: 0.8 } }]
 */
export function classPredictions(probs: ArrayLike<number>, labels: readonly string[]): Prediction[] {
  const k = labels.length;
  const out: Prediction[] = [];
  for (let i = 0; i < probs.length / k; i++) {
    let best = 0;
    const scores: Record<string, number> = {};
    for (let c = 0; c < k; c++) {
      scores[labels[c]!] = probs[i * k + c]!;
      if (probs[i * k + c]! > probs[i * k + best]!) best = c;
    }
    out.push({ label: labels[best]!, confidence: probs[i * k + best]!, scores });
  }
  return out;
}

/** Output index of a label, or throws `unknown_label` naming the known ones. */
export function labelIndexOf(labels: readonly string[], label: string | number): number {
  const i = labels.indexOf(String(label));
  if (i < 0) throw new InvalidInputError('unknown_label', 'label', `label "${label}" is not one of the model's labels (${labels.join(', ')})`);
  return i;
}
