import type { FeedbackMetrics } from '../ops/index.js';
import type { JoinEffects } from './join-state.js';

/** Versions of a model whose live score is exported; older ones' series are removed (bounded label values). */
const VERSIONS_KEPT = 5;

/**
 * Live ground truth of the versions that served: per model and version, the share
 * of joined predictions that were right (classification) or their mean absolute
 * error (regression), since the joiner started; and the join, dead-letter and
 * delay metrics of each committed step.
 *
 * @example
 * const score = new ServedScore(createFeedbackMetrics());
 * score.count(fx); // after fx's transaction committed
 */
export class ServedScore {
  private readonly byModel = new Map<string, Map<string, { n: number; right: number; absError: number }>>();

  constructor(private readonly m: FeedbackMetrics) {}

  count(fx: JoinEffects): void {
    for (const { prediction: p, ref } of fx.joined) {
      this.m.joined.inc({ model: p.model });
      this.m.labelDelay.observe({ model: p.model }, Math.max(0, (ref.ts ?? p.ts) - p.ts) / 1000);
      let versions = this.byModel.get(p.model);
      if (!versions) this.byModel.set(p.model, (versions = new Map()));
      let s = versions.get(p.version);
      if (!s) {
        versions.set(p.version, (s = { n: 0, right: 0, absError: 0 }));
        for (const old of [...versions.keys()].slice(0, Math.max(0, versions.size - VERSIONS_KEPT))) {
          versions.delete(old);
          this.m.servedAccuracy.remove({ model: p.model, version: old });
          this.m.servedMae.remove({ model: p.model, version: old });
        }
      }
      s.n++;
      const labels = { model: p.model, version: p.version };
      if (typeof ref.label === 'number' && p.output.value !== undefined) {
        s.absError += Math.abs(p.output.value - ref.label);
        this.m.servedMae.set(labels, s.absError / s.n);
      } else {
        if (p.output.label === String(ref.label)) s.right++;
        this.m.servedAccuracy.set(labels, s.right / s.n);
      }
    }
    for (const d of fx.deadLetters) (d.reason === 'no_prediction' ? this.m.unmatched : this.m.duplicates).inc({ model: d.ref.model ?? 'unknown' });
  }
}
