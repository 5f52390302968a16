/**
 * A child process that starts saving a version of model "m" in the registry given
 * as argv[2] and hangs inside the save once the weights are written, after
 * telling its parent `saving`. The parent kills it there with SIGKILL: a save cut
 * short as a `kill -9` or a power loss cuts it.
 */
import { DenseClassifier } from '../../src/learners/index.js';
import { VersionStore } from '../../src/registry/index.js';
import { withSave } from './learner-with-save.js';
import { useTestBackend } from './test-backend.js';

const backend = await useTestBackend();
const real = new DenseClassifier({ featureSpec: { kind: 'features', dim: 3 }, labels: ['p', 'q'], hiddenUnits: [8] });
const hung = withSave(real, async (handler) => {
  await real.save(handler);
  process.send!('saving');
  await new Promise(() => undefined);
});
await new VersionStore(process.argv[2]!).save('m', hung, { parent: 'v1', regime: 'test', backend, examplesSeen: 1, metrics: {}, offsets: {} });
