/**
 * Version size benchmark (`npm run -s bench:version-size [-- --events 10000,40000,160000]`):
 * what one saved version of the default digits model weighs as a trainer learns
 * more events, without Kafka and without timing. A base model is trained as
 * `streamtune demo`/`bench:soak` train it (regime `auto`), then the digits stream
 * (cycled, with fresh ids as a producer sends them) goes through the online
 * trainer with the default `training` config; at each count a version is saved
 * and its files are measured. Prints one JSON object:
 * `{points: [{events, version, total_bytes, files: {name: bytes}, candidates: {name: bytes}}]}`,
 * where `candidates` are the bytes each candidate of the `auto` learner adds to
 * `weights.bin` and `model.json`. Byte counts only: a bounded version keeps the
 * same size from one point to the next.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { DATA_DIR } from '../src/app/demo.js';
import { trainBase } from '../src/app/train-base.js';
import { parseBackendPreference, selectBackend, trainingConfig } from '../src/core/index.js';
import { decodeRecord } from '../src/features/index.js';
import { readEventsJsonl, type RawRecord } from '../src/ingest/index.js';
import { AutoLearner } from '../src/learners/index.js';
import { VersionStore } from '../src/registry/index.js';
import { OnlineTrainer } from '../src/training/index.js';

const { values } = parseArgs({ options: { events: { type: 'string' } } });
const points = (values.events ?? '10000,40000,160000').split(',').map(Number);
if (points.some((n) => !Number.isInteger(n) || n <= 0)) {
  process.stderr.write('bench:version-size: --events takes positive integers separated by commas\n');
  process.exit(2);
}
points.sort((a, b) => a - b);

const MODEL = 'digits';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'st-bench-version-size-'));
try {
  const { backend } = await selectBackend(parseBackendPreference(process.env.STREAMTUNE_BACKEND), { conv: false });
  const [base, stream] = await Promise.all(['base', 'stream'].map(async (n) => (await readEventsJsonl(path.join(DATA_DIR, `${n}.jsonl`))).events));
  const store = new VersionStore(path.join(work, 'registry'));
  await trainBase({ model: MODEL, store, events: base!, backend, epochs: 2 });
  const { learner, meta } = await store.load(MODEL, 'v1');
  const training = trainingConfig({});
  const trainer = new OnlineTrainer({
    model: MODEL,
    learner,
    store,
    parent: meta,
    backend,
    topic: 'labels',
    training,
    deadLetters: { send: async () => undefined },
    ack: () => undefined,
    commit: async () => undefined,
    // Versions only at the measured points.
    mayCheckpoint: () => saving,
  });
  await trainer.restoreState();
  const target = { featureSpec: learner.featureSpec, labels: meta.description.labels };
  let saving = false;
  const out: unknown[] = [];
  let sent = 0;
  for (const n of points) {
    while (sent < n) {
      const size = Math.min(training.maxBatchSize, n - sent);
      const batch = Array.from({ length: size }, (_, i) => {
        const e = stream![(sent + i) % stream!.length]!;
        const record: RawRecord = {
          topic: 'labels',
          partition: 0,
          offset: String(sent + i),
          key: Buffer.from(MODEL),
          value: Buffer.from(JSON.stringify({ id: `soak-${sent + i}`, input: e.input, label: e.label })),
          timestamp: '0',
        };
        return decodeRecord(record, target);
      });
      await trainer.step(batch);
      sent += size;
    }
    saving = true;
    const version = await trainer.saveVersion();
    saving = false;
    if (!version) throw new Error(`no version saved after ${n} events`);
    out.push({ events: n, version: version.version, ...(await measure(store, version.version)) });
    process.stderr.write(`[bench:version-size] ${n} events\n`);
  }
  process.stdout.write(`${JSON.stringify({ points: out })}\n`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}

/** Bytes of each file of a version, and what each `auto` candidate adds to its weights and topology. */
async function measure(store: VersionStore, version: string): Promise<{ total_bytes: number; files: Record<string, number>; candidates: Record<string, number> }> {
  const dir = store.versionDir(MODEL, version);
  const files = Object.fromEntries((await store.files(MODEL, version)).map((f) => [f, fs.statSync(path.join(dir, f)).size]));
  const { learner } = await store.load(MODEL, version);
  const candidates: Record<string, number> = {};
  if (learner instanceof AutoLearner) {
    const names = (learner.getConfig().candidates as { name: string }[]).map((c) => c.name);
    for (const [i, c] of learner.candidates.entries()) {
      let bytes = 0;
      await c.save(
        tf.io.withSaveHandler(async (a) => {
          bytes = JSON.stringify(a.modelTopology ?? null).length + (a.weightData ? tf.io.CompositeArrayBuffer.join(a.weightData).byteLength : 0);
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }),
      );
      candidates[names[i]!] = bytes;
    }
  }
  learner.dispose();
  return { total_bytes: Object.values(files).reduce((a, b) => a + b, 0), files, candidates };
}
