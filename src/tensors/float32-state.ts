import * as tf from '@tensorflow/tfjs';

/**
 * Saves a learner's float32 state through a tfjs IOHandler as one weight
 * (half the bytes of {@link saveFloat64State}, for large weight tables whose
 * values float32 holds well, such as a perceptron's). `topology` is a small JSON
 * description saved beside it.
 *
 * @example
 * await saveFloat32State(handler, 'streamtune-span-tagger', { spanTagger: {} }, state);
 * const back = await loadFloat32State(handler); // equal to `state`, bit for bit
 */
export async function saveFloat32State(handler: tf.io.IOHandler, format: string, topology: Record<string, unknown>, state: Float32Array): Promise<void> {
  await handler.save!({
    modelTopology: { ...topology, float32: state.length } as unknown as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs: [{ name: 'state', shape: [state.length], dtype: 'float32' }],
    weightData: state.slice().buffer,
    format,
  });
}

/** The state {@link saveFloat32State} wrote, and its topology. */
export async function loadFloat32State(handler: tf.io.IOHandler): Promise<{ state: Float32Array; topology: Record<string, unknown> }> {
  const a = await handler.load!();
  return { state: new Float32Array(tf.io.CompositeArrayBuffer.join(a.weightData!).slice(0)), topology: (a.modelTopology ?? {}) as Record<string, unknown> };
}
