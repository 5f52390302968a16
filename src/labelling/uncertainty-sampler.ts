import { createHash } from 'node:crypto';
import type { EventInput } from '../ingest/index.js';
import type { Prediction } from '../learners/index.js';
import type { LabelRequest } from './label-request.js';
import { uncertainty, type UncertaintyStrategy } from './uncertainty.js';

export interface UncertaintySamplerOptions {
  /** @defaultValue 'entropy' */
  strategy?: UncertaintyStrategy;
  /** Smallest uncertainty in [0, 1] worth a human's time. @defaultValue 0.5 */
  threshold?: number;
  /** Most requests per rolling minute, so labellers are not flooded. @defaultValue 30 */
  budgetPerMinute?: number;
  /** Inputs remembered for de-duplication (oldest forgotten first). @defaultValue 10000 */
  dedupeSize?: number;
  /** Milliseconds since epoch; a parameter so tests control time. @defaultValue Date.now */
  now?: () => number;
}

/**
 * Picks served predictions worth labelling: uncertain enough, within the
 * per-minute budget, and never the same input twice (inputs are identified by
 * a hash, which is also the request id, so a repeated input maps to one item).
 *
 * @example
 * const s = new UncertaintySampler({ threshold: 0.8, budgetPerMinute: 10 });
 * const req = s.offer({ text: 'hm' }, { label: 'a', scores: { a: 0.55, b: 0.45 } }, 'm', '3'); // a LabelRequest
 */
export class UncertaintySampler {
  private readonly o: Required<UncertaintySamplerOptions>;
  private readonly seen = new Set<string>();
  private sent: number[] = [];

  constructor(opts: UncertaintySamplerOptions = {}) {
    this.o = { strategy: 'entropy', threshold: 0.5, budgetPerMinute: 30, dedupeSize: 10_000, now: Date.now, ...opts };
  }

  offer(input: EventInput, p: Prediction, model: string, version: string): LabelRequest | null {
    if (!p.scores || p.label === undefined) return null;
    const u = uncertainty(p.scores, this.o.strategy);
    if (u < this.o.threshold) return null;
    const now = this.o.now();
    this.sent = this.sent.filter((t) => t > now - 60_000);
    if (this.sent.length >= this.o.budgetPerMinute) return null;
    const id = `lr-${createHash('sha256').update(JSON.stringify(input)).digest('hex').slice(0, 24)}`;
    if (this.seen.has(id)) return null;
    this.seen.add(id);
    if (this.seen.size > this.o.dedupeSize) this.seen.delete(this.seen.values().next().value!);
    this.sent.push(now);
    return { id, model, version, input, predicted: p.label, scores: p.scores, uncertainty: u, ts: now };
  }
}
