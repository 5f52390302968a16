import { loadConfig, ConfigError } from '../../core/index.js';
import { readEventsJsonl, createKafka, ensureTopics, EventProducer } from '../../ingest/index.js';
import { importFromCsv, importFromDir, importFromJsonl, importFromLabelStudio, type FieldMapping, type ImportResult } from '../../labelling/importers/index.js';
import { type Command, commonOverrides, intFlag } from '../args.js';
import { usableBrokers } from '../local-broker.js';
import { progressReporter } from '../progress-reporter.js';

const MAPPED = ['id', 'label', 'text', 'features', 'image', 'audio'] as const;

/** `--label-col` (CSV) and `--label-field` (JSONL) name the same part; features take a comma list. */
function fieldMapping(values: Record<string, unknown>): FieldMapping {
  const map: FieldMapping = {};
  for (const k of MAPPED) {
    const v = (values[`${k}-col`] ?? values[`${k}-field`]) as string | undefined;
    if (v === undefined) continue;
    if (k === 'features') map.features = v.split(',').map((f) => f.trim());
    else map[k] = v;
  }
  return map;
}

/** Events from the one input the flags name: a JSONL file of label events, or an importer. */
async function readInput(values: Record<string, unknown>, file: string | undefined): Promise<ImportResult> {
  const map = fieldMapping(values);
  const sources = ['from-dir', 'from-csv', 'from-jsonl', 'from-label-studio'].filter((k) => typeof values[k] === 'string');
  if (sources.length + (file ? 1 : 0) !== 1) throw new ConfigError('FILE', 'give exactly one input: FILE, --from-dir, --from-csv, --from-jsonl or --from-label-studio');
  if (typeof values['from-dir'] === 'string') return importFromDir(values['from-dir']);
  if (typeof values['from-csv'] === 'string') return importFromCsv(values['from-csv'], map);
  if (typeof values['from-jsonl'] === 'string') return importFromJsonl(values['from-jsonl'], map);
  if (typeof values['from-label-studio'] === 'string') return importFromLabelStudio(values['from-label-studio'], { mediaRoot: values['media-root'] as string | undefined });
  const { events, rejected } = await readEventsJsonl(file!);
  return { events, rejected: rejected.map((r) => ({ source: `${file}:${r.line}`, reason: r.reason, message: r.message })) };
}

export const produceCommand: Command = {
  name: 'produce',
  usage: `Usage: streamtune produce FILE [--brokers HOST:PORT,...] [--topic NAME] [--rate EVENTS_PER_S] [--batch N]
       streamtune produce --from-dir DIR | --from-csv FILE | --from-jsonl FILE | --from-label-studio FILE [mapping flags]

Validates each line as a label event and sends the valid ones to the labels topic
(key = event id). Invalid lines are reported with their reason; the exit code is 2
when any line was rejected. Without brokers configured, the local broker is started.

Importers:
  --from-dir DIR            DIR/<label>/<file>: .png/.jpg/.jpeg images, .wav audio, .txt texts;
                            DIR/_unlabelled/ holds unlabelled examples
  --from-csv FILE           columns mapped by --id-col --label-col --text-col --feature-cols A,B
                            --image-col --audio-col (media cells: a path relative to FILE, or base64)
  --from-jsonl FILE         fields (dotted paths) mapped by --id-field --label-field --text-field
                            --features-field --image-field --audio-field
  --from-label-studio FILE  a Label Studio JSON export: choices, or labels/rectanglelabels/
                            brushlabels/keypointlabels regions (a structured label);
                            --media-root DIR resolves its image/audio paths

Examples:
  streamtune produce data/digits/stream.jsonl --rate 200
  streamtune produce --from-dir photos/ --batch 20`,
  options: {
    topic: { type: 'string' },
    rate: { type: 'string' },
    batch: { type: 'string' },
    'from-dir': { type: 'string' },
    'from-csv': { type: 'string' },
    'from-jsonl': { type: 'string' },
    'from-label-studio': { type: 'string' },
    'media-root': { type: 'string' },
    ...Object.fromEntries(MAPPED.flatMap((k) => [[`${k}-col`, { type: 'string' as const }], [`${k}-field`, { type: 'string' as const }]])),
  },
  async run(values, positionals) {
    const file = positionals[0];
    const config = loadConfig({ file: values.config as string | undefined, env: process.env, overrides: commonOverrides(values) });
    const topic = (values.topic as string | undefined) ?? config.kafka.labelsTopic;
    const rate = intFlag(values, 'rate');
    // The input first: a file that cannot be read is reported before any broker is asked.
    const { events, rejected } = await readInput(values, file);
    const connection = await usableBrokers(config.kafka);
    const { brokers } = connection;
    for (const r of rejected) process.stderr.write(`${r.source}: rejected (${r.reason}): ${r.message}\n`);
    // Media events are up to ~1 MB each and a Kafka request is capped near 1 MB: send them in small batches.
    const batch = intFlag(values, 'batch') ?? (events.some((e) => 'image' in e.input || 'audio' in e.input) ? 10 : 100);
    const kafka = createKafka(connection, `${config.kafka.clientId}-producer`);
    await ensureTopics(kafka, [{ topic }]);
    // Partitioned by model: events naming no model go to (and are keyed by) the configured one.
    const producer = new EventProducer(kafka, topic, { defaultModel: config.model });
    const started = Date.now();
    const progress = progressReporter();
    try {
      for (let i = 0; i < events.length; i += batch) {
        await producer.send(events.slice(i, i + batch));
        const done = Math.min(events.length, i + batch);
        progress.update(done, events.length, `sent ${done}/${events.length} events to ${topic}`);
        if (rate) {
          const due = started + ((i + batch) / rate) * 1000;
          if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
        }
      }
    } finally {
      progress.end();
      await producer.close();
    }
    process.stdout.write(`${JSON.stringify({ topic, brokers, sent: events.length, rejected: rejected.length, seconds: (Date.now() - started) / 1000 })}\n`);
    return rejected.length > 0 ? 2 : 0;
  },
};
