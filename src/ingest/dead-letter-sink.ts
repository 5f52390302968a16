import { createHash } from 'node:crypto';
import type { ConfigResourceTypes, IHeaders, Kafka, Message } from 'kafkajs';
import { LazyProducer } from './lazy-producer.js';
import type { RawRecord } from './raw-record.js';

/** A rejected record and why. */
export interface DeadLetter {
  record: RawRecord;
  reason: string;
  message: string;
}

/** `ConfigResourceTypes.TOPIC` (kafkajs is CommonJS: its enums are not named exports under ESM). */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;
/** Kafka's default `max.message.bytes` minus a margin: used until the topic's own limit is known. */
const FALLBACK_MAX_BYTES = 1_000_000;
/** Record batch header (v2), and room left for what the estimate below does not count. */
const BATCH_OVERHEAD = 61 + 512;
/** Keys longer than this are cut (they are event ids, normally short). */
const MAX_KEY_BYTES = 1024;

/** Upper bound of a record's size in a v2 record batch: varints at their widest. */
function recordBytes(m: Message): number {
  let n = 41 + byteLength(m.key) + byteLength(m.value);
  for (const [k, v] of Object.entries(m.headers ?? {})) n += 10 + Buffer.byteLength(k) + byteLength(v as string | Buffer);
  return n;
}

function byteLength(v: string | Buffer | null | undefined | (string | Buffer)[]): number {
  if (v === null || v === undefined) return 0;
  if (Array.isArray(v)) return v.reduce((a, b) => a + byteLength(b), 0);
  return Buffer.isBuffer(v) ? v.length : Buffer.byteLength(v);
}

/**
 * Writes rejected records to the dead-letter topic: the original key and bytes,
 * the reason code and message and the source topic/partition/offset in headers,
 * so nothing is lost and every rejection can be replayed once fixed.
 *
 * No produce request is larger than the topic accepts (`max.message.bytes`, read
 * from the broker once): letters are sent in requests packed up to that size, a
 * large one alone. A record too large even alone is sent truncated to fit, with
 * `streamtune-truncated`, `streamtune-original-size` and `streamtune-original-sha256`
 * headers — so a bad event can never stop the stream behind it.
 *
 * @example
 * const dlq = new DeadLetterSink(kafka, 'streamtune.dlq');
 * await dlq.send([{ record, reason: 'bad_json', message: 'event is not valid JSON' }]);
 */
export class DeadLetterSink {
  private readonly producer: LazyProducer;
  private maxBytes: number | undefined;

  constructor(
    private readonly kafka: Kafka,
    readonly topic: string,
  ) {
    this.producer = new LazyProducer(kafka);
  }

  async send(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const budget = (await this.topicMaxBytes()) - BATCH_OVERHEAD;
    let request: Message[] = [];
    let size = 0;
    for (const letter of letters) {
      const m = fit(deadLetterMessage(letter), budget);
      const n = recordBytes(m);
      if (request.length > 0 && size + n > budget) {
        await this.producer.send(this.topic, request);
        [request, size] = [[], 0];
      }
      request.push(m);
      size += n;
    }
    await this.producer.send(this.topic, request);
  }

  /** The dead-letter topic's `max.message.bytes` (the broker's default when the topic sets none). */
  private async topicMaxBytes(): Promise<number> {
    if (this.maxBytes !== undefined) return this.maxBytes;
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: TOPIC_RESOURCE, name: this.topic, configNames: ['max.message.bytes'] }],
      });
      const value = Number(resources[0]?.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue);
      this.maxBytes = Number.isFinite(value) && value > BATCH_OVERHEAD * 2 ? value : FALLBACK_MAX_BYTES;
    } catch {
      // Not allowed to describe configs, or the broker is away (then the send fails and the step is retried).
      return FALLBACK_MAX_BYTES;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    return this.maxBytes;
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}

/** The dead-letter record of a letter (original key and bytes, reason and source in headers), for writers that send it in their own transaction. */
export function deadLetterMessage({ record, reason, message }: DeadLetter): Message {
  const headers: IHeaders = {
    'streamtune-reason': reason,
    'streamtune-error': message.slice(0, 1000),
    'streamtune-source-topic': record.topic,
    'streamtune-source-partition': String(record.partition),
    'streamtune-source-offset': record.offset,
  };
  return { key: record.key, value: record.value, headers };
}

/** The message itself when it fits `budget`, else its value (and an overlong key) cut to fit, with the original's size and hash. */
function fit(m: Message, budget: number): Message {
  if (recordBytes(m) <= budget) return m;
  const value = Buffer.isBuffer(m.value) ? m.value : Buffer.from(m.value ?? '');
  const key = m.key === null || m.key === undefined ? m.key : (Buffer.isBuffer(m.key) ? m.key : Buffer.from(m.key)).subarray(0, MAX_KEY_BYTES);
  const headers: IHeaders = {
    ...m.headers,
    'streamtune-truncated': 'true',
    'streamtune-original-size': String(value.length),
    'streamtune-original-sha256': createHash('sha256').update(value).digest('hex'),
  };
  const room = Math.max(0, budget - recordBytes({ key, value: null, headers }));
  return { key, value: value.subarray(0, room), headers };
}
