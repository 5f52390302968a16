import * as tf from '@tensorflow/tfjs';
import { boxesOfTarget, shapesTarget } from '../ingest/index.js';
import { heatmapPeaks, type Centre } from './centre-heatmaps.js';
import { CentreNetLearner, centreNetDefaults, type CentreNetConfig } from './centre-net-learner.js';
import type { PredictedBox, Prediction, StepResult, Task } from './learner.js';
import { registerLearner } from './learner-registry.js';

/** Parameters of {@link BoxDetector}; all JSON, all saved. */
export interface BoxDetectorConfig extends CentreNetConfig {
  /** Most boxes predicted per image (the best-scoring). @defaultValue 20 */
  maxBoxes?: number;
}

/**
 * An online box detector, CenterNet-style (see {@link CentreNetLearner}): one
 * centre heatmap per box label, with the centre's sub-cell offset and the box's
 * width and height regressed at its centre cell. It predicts a box at every
 * heatmap cell that is the maximum of its 3×3 neighbourhood and scores at least
 * `threshold` (no other suppression is needed), the `maxBoxes` best:
 * `[{ x, y, w, h, label, score }]` in relative units of the model's image.
 *
 * Targets are box labels as canonical JSON (`labelTarget`); coordinates in
 * `relative` units, or `pixels` of the model's input image.
 *
 * @example
 * const d = new BoxDetector({ featureSpec: imageSpec(32, 32), labels: ['cat', 'dog'] });
 * await d.learn(images, [shapesTarget('boxes', [{ x: 0.1, y: 0.2, w: 0.3, h: 0.3, label: 'cat' }], 'relative')]);
 * d.predict(images)[0].boxes; // [{ x: 0.11, y: 0.19, w: 0.3, h: 0.31, label: 'cat', score: 0.7 }] once learned
 */
export class BoxDetector extends CentreNetLearner<Required<BoxDetectorConfig>> {
  static readonly className = 'BoxDetector';

  constructor(config: BoxDetectorConfig, model?: tf.LayersModel) {
    super({ maxBoxes: 20, ...centreNetDefaults(config) }, 4, model);
  }

  protected describeTask(): { task: Task; labels: string[] } {
    return { task: 'boxes', labels: [...this.config.labels] };
  }

  /** Boxes of one row's maps, clipped to the image. */
  private decode(maps: ArrayLike<number>, row: number): PredictedBox[] {
    const { gw, gh, stride, channels: K } = this.grid;
    const C = this.mapChannels;
    const start = row * gh * gw * C;
    const at = (i: number): number => maps[start + i]!;
    return heatmapPeaks(maps, this.grid, this.config.threshold, { start, perCell: C, max: this.config.maxBoxes }).map((p) => {
      const cell = (p.cy * gw + p.cx) * C + K;
      const cx = (p.cx + Math.min(1, Math.max(0, at(cell)))) * stride;
      const cy = (p.cy + Math.min(1, Math.max(0, at(cell + 1)))) * stride;
      // At least one pixel: an early, untrained size may be negative.
      const w = Math.max(1, at(cell + 2) * stride);
      const h = Math.max(1, at(cell + 3) * stride);
      const x0 = Math.max(0, cx - w / 2);
      const y0 = Math.max(0, cy - h / 2);
      const x1 = Math.min(this.width, cx + w / 2);
      const y1 = Math.min(this.height, cy + h / 2);
      return { x: x0 / this.width, y: y0 / this.height, w: Math.max(0, x1 - x0) / this.width, h: Math.max(0, y1 - y0) / this.height, label: this.config.labels[p.k]!, score: p.score };
    });
  }

  predict(x: readonly (readonly number[])[]): Prediction[] {
    if (x.length === 0) return [];
    const maps = this.predictMaps(x);
    return x.map((_, i) => ({ boxes: this.decode(maps, i) }));
  }

  async learn(x: readonly (readonly number[])[], y: readonly (string | number)[], weights?: readonly number[]): Promise<StepResult> {
    if (x.length === 0) return { loss: 0, examples: 0 };
    const centres = y.map((v) => {
      const { boxes, units } = boxesOfTarget(v);
      return boxes.flatMap((b): Centre[] => {
        const k = this.config.labels.indexOf(b.label);
        if (k < 0) return [];
        const w = this.toPixels(b.w, units, 'x');
        const h = this.toPixels(b.h, units, 'y');
        return [{ k, px: this.toPixels(b.x, units, 'x') + w / 2, py: this.toPixels(b.y, units, 'y') + h / 2, w, h }];
      });
    });
    // The Gaussian spreads with the box (CenterNet sizes it so nearby boxes still overlap the truth well).
    const stride = this.grid.stride;
    const sigma = (c: Centre): number => Math.max(0.5, Math.min(c.w!, c.h!) / stride / 4);
    const { loss, maps } = await this.learnCentres(x, centres, sigma, weights);
    return { loss, examples: x.length, predicted: x.map((_, i) => shapesTarget('boxes', this.decode(maps, i), 'relative')) };
  }
}

registerLearner(BoxDetector.className, {
  create: (config) => new BoxDetector(config as unknown as BoxDetectorConfig),
  load: async (config, handler) => new BoxDetector(config as unknown as BoxDetectorConfig, await tf.loadLayersModel(handler)),
});
