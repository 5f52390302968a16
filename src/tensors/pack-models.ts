import * as tf from '@tensorflow/tfjs';

/** Anything saved through an IOHandler: a tfjs model or a {@link Learner}. */
export interface Saveable {
  save(handler: tf.io.IOHandler): Promise<unknown>;
}

/** Artifacts of one model, captured in memory. */
async function artifactsOf(model: Saveable): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      captured = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return captured!;
}

/**
 * Saves several models (e.g. an encoder and a head, or two co-training views)
 * through ONE IOHandler, so a composite learner is one version directory like
 * any other: the topology is `{ packed: [topology…] }` and the weights are
 * concatenated, each spec prefixed with its model's index.
 *
 * @example
 * await saveModels([encoder, head], fileIOHandler(dir));
 * const [enc, hd] = await loadModels(fileIOHandler(dir));
 */
export async function saveModels(models: readonly Saveable[], handler: tf.io.IOHandler): Promise<void> {
  const parts = await Promise.all(models.map(artifactsOf));
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  parts.forEach((p, i) => {
    for (const s of p.weightSpecs ?? []) specs.push({ ...s, name: `${i}/${s.name}` });
    if (p.weightData !== undefined) buffers.push(tf.io.CompositeArrayBuffer.join(p.weightData));
  });
  await handler.save!({
    modelTopology: { packed: parts.map((p) => p.modelTopology ?? null) } as unknown as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs: specs,
    weightData: tf.io.concatenateArrayBuffers(buffers),
    format: 'streamtune-packed',
    generatedBy: parts[0]?.generatedBy,
  });
}

/** Restores the models {@link saveModels} packed, in the same order. */
export async function loadModels(handler: tf.io.IOHandler): Promise<tf.LayersModel[]> {
  return Promise.all((await unpackHandlers(handler)).map((h) => tf.loadLayersModel(h)));
}

/** One in-memory IOHandler per part {@link saveModels} packed (e.g. to rebuild sub-learners by class name). */
export async function unpackHandlers(handler: tf.io.IOHandler): Promise<tf.io.IOHandler[]> {
  const a = await handler.load!();
  const topologies = (a.modelTopology as unknown as { packed: object[] }).packed;
  const data = tf.io.CompositeArrayBuffer.join(a.weightData!);
  const byModel = topologies.map(() => ({ specs: [] as tf.io.WeightsManifestEntry[], bufs: [] as ArrayBuffer[] }));
  let offset = 0;
  for (const s of a.weightSpecs ?? []) {
    const slash = s.name.indexOf('/');
    const i = Number(s.name.slice(0, slash));
    const bytes = tf.util.sizeFromShape(s.shape) * bytesPerElement(s.dtype);
    byModel[i]!.specs.push({ ...s, name: s.name.slice(slash + 1) });
    byModel[i]!.bufs.push(data.slice(offset, offset + bytes));
    offset += bytes;
  }
  return topologies.map((topology, i) =>
    tf.io.fromMemory({
      modelTopology: topology,
      weightSpecs: byModel[i]!.specs,
      weightData: tf.io.concatenateArrayBuffers(byModel[i]!.bufs),
    }),
  );
}

function bytesPerElement(dtype: string): number {
  if (dtype === 'float32' || dtype === 'int32') return 4;
  if (dtype === 'bool') return 1;
  throw new Error(`cannot unpack weights of dtype ${dtype}`);
}
