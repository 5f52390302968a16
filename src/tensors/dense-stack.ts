import * as tf from '@tensorflow/tfjs';

/**
 * A stack of dense layers as a model of its own: ReLU hidden layers, then an
 * optional linear output layer. Encoders, heads and plain MLPs are all built
 * with it, seeded per layer so a run repeats exactly.
 *
 * @example
 * const enc = denseStack(64, [32, 16], { seed: 1 }); // 64 → 32 → 16
 */
export function denseStack(inputDim: number, hidden: readonly number[], opts: { outputs?: number; seed?: number; name?: string } = {}): tf.Sequential {
  const seed = opts.seed ?? 1;
  const m = tf.sequential(opts.name ? { name: opts.name } : {});
  const all = [...hidden.map((u) => ({ units: u, act: 'relu' as const })), ...(opts.outputs ? [{ units: opts.outputs, act: 'linear' as const }] : [])];
  if (all.length === 0) {
    // An identity stack: keeps the input as it is (a head right on the features).
    m.add(tf.layers.activation({ activation: 'linear', inputShape: [inputDim] }));
    return m;
  }
  all.forEach(({ units, act }, i) =>
    m.add(
      tf.layers.dense({
        units,
        activation: act,
        kernelInitializer: act === 'relu' ? tf.initializers.heNormal({ seed: seed + i }) : tf.initializers.glorotUniform({ seed: seed + i }),
        ...(i === 0 ? { inputShape: [inputDim] } : {}),
      }),
    ),
  );
  return m;
}

/** The dense layers' units and weights ([kernel, bias] per layer) of a model, e.g. to reuse as an encoder. */
export function denseLayersOf(model: tf.LayersModel): { units: number[]; weights: tf.Tensor[] } {
  const dense = model.layers.filter((l) => l.getClassName() === 'Dense');
  return { units: dense.map((l) => (l.getConfig() as { units: number }).units), weights: dense.flatMap((l) => l.getWeights()) };
}
