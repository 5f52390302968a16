/**
 * A CPU-heavy online-training loop for the "predict while training" case: a digits
 * MLP (64-128-10) taking Adam steps on batches of 32 as fast as it can, in its own
 * process as the real trainer runs. Prints nothing; sends {type:'ready'} and
 * {type:'steps', steps} over IPC.
 */
import { selectBackend } from '../../src/core/index.js';
import { DenseClassifier } from '../../src/learners/index.js';

await selectBackend('auto', { conv: false });
const labels = Array.from({ length: 10 }, (_, i) => String(i));
const model = new DenseClassifier({ featureSpec: { kind: 'features', dim: 64 }, labels, hiddenUnits: [128] });
const x = Array.from({ length: 32 }, () => Array.from({ length: 64 }, () => Math.random() * 16));
const y = x.map((_, i) => labels[i % 10]!);
let steps = 0;
process.send?.({ type: 'ready' });
process.on('message', (m: { type: string }) => {
  if (m.type === 'stop') {
    process.send?.({ type: 'steps', steps }, () => process.exit(0));
  }
});
for (;;) {
  await model.learn(x, y);
  steps++;
  // Yield so the stop message can be read between steps.
  if (steps % 10 === 0) await new Promise((r) => setImmediate(r));
}
