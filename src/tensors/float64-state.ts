import * as tf from '@tensorflow/tfjs';

/**
 * Saves a learner's numeric state through a tfjs IOHandler as raw float64 bytes
 * (declared as twice as many float32 weights, which is what tfjs and
 * `saveModels` can carry): float32 would round counts, sums of squares and split
 * thresholds. `topology` is a small JSON description saved beside it.
 *
 * @example
 * await saveFloat64State(handler, 'streamtune-gaussian-nb', { gaussianNb: {} }, state);
 * const back = await loadFloat64State(handler); // equal to `state`, bit for bit
 */
export async function saveFloat64State(handler: tf.io.IOHandler, format: string, topology: Record<string, unknown>, state: Float64Array): Promise<void> {
  await handler.save!({
    modelTopology: { ...topology, float64: state.length } as unknown as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs: [{ name: 'state', shape: [state.length * 2], dtype: 'float32' }],
    weightData: state.slice().buffer,
    format,
  });
}

/** The state {@link saveFloat64State} wrote, and its topology. */
export async function loadFloat64State(handler: tf.io.IOHandler): Promise<{ state: Float64Array; topology: Record<string, unknown> }> {
  const a = await handler.load!();
  return { state: new Float64Array(tf.io.CompositeArrayBuffer.join(a.weightData!).slice(0)), topology: (a.modelTopology ?? {}) as Record<string, unknown> };
}
