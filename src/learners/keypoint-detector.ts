import * as tf from '@tensorflow/tfjs';
import { keypointsOfTarget, shapesTarget } from '../ingest/index.js';
import { heatmapPeaks, type Centre } from './centre-heatmaps.js';
import { CentreNetLearner, centreNetDefaults, type CentreNetConfig } from './centre-net-learner.js';
import type { Prediction, PredictedKeypoint, StepResult, Task } from './learner.js';
import { registerLearner } from './learner-registry.js';

/** Parameters of {@link KeypointDetector}; all JSON, all saved. */
export interface KeypointDetectorConfig extends CentreNetConfig {
  /** Spread of each keypoint's Gaussian target, in heatmap cells. @defaultValue 1 */
  sigma?: number;
}

/**
 * An online keypoint detector: one heatmap per keypoint label at `1 / stride`
 * of the image's resolution (see {@link CentreNetLearner}), trained towards a
 * Gaussian around each labelled point, and a sub-cell offset. It predicts, per
 * label, the best cell when its score reaches `threshold` (so at most one point
 * per label), refined by the offset: `[{ x, y, label, score }]` in relative
 * units of the model's image (fractions of its width and height).
 *
 * Targets are keypoint labels as canonical JSON (`labelTarget`); coordinates in
 * `relative` units, or `pixels` of the model's input image.
 *
 * @example
 * const k = new KeypointDetector({ featureSpec: imageSpec(16, 16), labels: ['nose', 'tail'] });
 * await k.learn(images, [shapesTarget('keypoints', [{ x: 0.5, y: 0.4, label: 'nose' }], 'relative')]);
 * k.predict(images)[0].keypoints; // [{ x: 0.49, y: 0.41, label: 'nose', score: 0.8 }] once learned
 */
export class KeypointDetector extends CentreNetLearner<Required<KeypointDetectorConfig>> {
  static readonly className = 'KeypointDetector';

  constructor(config: KeypointDetectorConfig, model?: tf.LayersModel) {
    super({ sigma: 1, ...centreNetDefaults(config) }, 2, model);
  }

  protected describeTask(): { task: Task; labels: string[] } {
    return { task: 'keypoints', labels: [...this.config.labels] };
  }

  /** Keypoints of one row's maps. */
  private decode(maps: ArrayLike<number>, row: number): PredictedKeypoint[] {
    const { gw, gh, stride, channels: K } = this.grid;
    const C = this.mapChannels;
    const start = row * gh * gw * C;
    const at = (i: number): number => maps[start + i]!;
    return heatmapPeaks(maps, this.grid, this.config.threshold, { perChannel: true, start, perCell: C })
      .map((p) => {
        const cell = (p.cy * gw + p.cx) * C + K;
        const ox = Math.min(1, Math.max(0, at(cell)));
        const oy = Math.min(1, Math.max(0, at(cell + 1)));
        return { x: ((p.cx + ox) * stride) / this.width, y: ((p.cy + oy) * stride) / this.height, label: this.config.labels[p.k]!, score: p.score };
      })
      .sort((a, b) => this.config.labels.indexOf(a.label) - this.config.labels.indexOf(b.label));
  }

  predict(x: readonly (readonly number[])[]): Prediction[] {
    if (x.length === 0) return [];
    const maps = this.predictMaps(x);
    return x.map((_, i) => ({ keypoints: this.decode(maps, i) }));
  }

  async learn(x: readonly (readonly number[])[], y: readonly (string | number)[], weights?: readonly number[]): Promise<StepResult> {
    if (x.length === 0) return { loss: 0, examples: 0 };
    const centres = y.map((v) => {
      const { keypoints, units } = keypointsOfTarget(v);
      return keypoints.flatMap((p): Centre[] => {
        const k = this.config.labels.indexOf(p.label);
        return k < 0 ? [] : [{ k, px: this.toPixels(p.x, units, 'x'), py: this.toPixels(p.y, units, 'y') }];
      });
    });
    const sigma = this.config.sigma;
    const { loss, maps } = await this.learnCentres(x, centres, () => sigma, weights);
    return { loss, examples: x.length, predicted: x.map((_, i) => shapesTarget('keypoints', this.decode(maps, i), 'relative')) };
  }
}

registerLearner(KeypointDetector.className, {
  create: (config) => new KeypointDetector(config as unknown as KeypointDetectorConfig),
  load: async (config, handler) => new KeypointDetector(config as unknown as KeypointDetectorConfig, await tf.loadLayersModel(handler)),
});
