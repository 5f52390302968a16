import type { Kafka } from 'kafkajs';
import { ensureTopics, LazyProducer } from '../ingest/index.js';
import type { PredictionObserver } from '../serving/index.js';
import type { LabelRequest } from './label-request.js';
import { UncertaintySampler, type UncertaintySamplerOptions } from './uncertainty-sampler.js';

/**
 * Watches served predictions and publishes the uncertain ones as label requests
 * (key = request id). Sending is in the background: a slow or failing broker
 * never delays or fails a Predict call; failures are logged and counted as lost.
 *
 * @example
 * const pub = new LabelRequestPublisher(kafka, 'streamtune.label-requests', { threshold: 0.7 }, log);
 * await pub.start();
 * new PredictionServer(holder, metrics, { ..., onPredictions: pub.observer });
 */
export class LabelRequestPublisher {
  private readonly sampler: UncertaintySampler;
  private readonly producer: LazyProducer;
  private chain: Promise<void> = Promise.resolve();
  /** Requests published, and lost to send errors. */
  published = 0;
  lost = 0;

  constructor(
    private readonly kafka: Kafka,
    readonly topic: string,
    opts: UncertaintySamplerOptions,
    private readonly log: (line: string) => void = () => {},
    /** Counts outcomes (e.g. `streamtune_label_requests_total`). */
    private readonly count: (outcome: 'published' | 'lost', n: number) => void = () => {},
  ) {
    this.sampler = new UncertaintySampler(opts);
    this.producer = new LazyProducer(kafka);
  }

  async start(): Promise<void> {
    await ensureTopics(this.kafka, [{ topic: this.topic }]);
  }

  readonly observer: PredictionObserver = ({ inputs, meta, predictions }) => {
    const picked: LabelRequest[] = [];
    predictions.forEach((p, i) => {
      const r = this.sampler.offer(inputs[i]!, p, meta.model, meta.version);
      if (r) picked.push(r);
    });
    if (picked.length === 0) return;
    // One send at a time, in order: requests reach labellers in the order they were picked.
    this.chain = this.chain.then(() =>
      this.producer.send(this.topic, picked.map((r) => ({ key: r.id, value: JSON.stringify(r) }))).then(
        () => {
          this.published += picked.length;
          this.count('published', picked.length);
        },
        (err: Error) => {
          this.lost += picked.length;
          this.count('lost', picked.length);
          this.log(`label requests not published (${picked.length}): ${err.message}`);
        },
      ),
    );
  };

  async close(): Promise<void> {
    await this.chain;
    await this.producer.close();
  }
}
