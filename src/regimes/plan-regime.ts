import type { LabelEvent } from '../ingest/index.js';
import type { Task } from '../learners/index.js';
import type { Regime } from './build-regime-learner.js';

/** What the planner looks at in a dataset. */
export interface DatasetProfile {
  modality: 'features' | 'text';
  task: Task;
  events: number;
  labelled: number;
  unlabelled: number;
  /** Events per class (classification). */
  classCounts: Record<string, number>;
  /** Feature vector length (features) or mean tokens per text. */
  width: number;
}

/** A recommendation: the regime, why, and the others worth a bake-off. */
export interface Plan {
  regime: Regime;
  reasons: string[];
  candidates: Regime[];
  profile: DatasetProfile;
  budgetSeconds: number;
}

/** Profiles a dataset: modality, labelled vs unlabelled, classes, size. Numeric labels mean regression. */
export function profileDataset(events: readonly LabelEvent[], task?: Task): DatasetProfile {
  const labelled = events.filter((e) => e.label !== null);
  const inferred: Task = task ?? (labelled.length > 0 && labelled.every((e) => typeof e.label === 'number') ? 'regression' : 'classification');
  const classCounts: Record<string, number> = {};
  if (inferred === 'classification') for (const e of labelled) classCounts[String(e.label)] = (classCounts[String(e.label)] ?? 0) + 1;
  const first = events[0]?.input;
  const text = first !== undefined && 'text' in first;
  const width = text
    ? events.reduce((s, e) => s + ('text' in e.input ? e.input.text.split(/\s+/).length : 0), 0) / Math.max(1, events.length)
    : first && 'features' in first
      ? first.features.length
      : 0;
  return { modality: text ? 'text' : 'features', task: inferred, events: events.length, labelled: labelled.length, unlabelled: events.length - labelled.length, classCounts, width: Math.round(width) };
}

const pct = (x: number): string => `${Math.round(x * 100)}%`;

/**
 * Recommends a regime for a dataset profile and a time budget, with its reasons
 * in plain words. The rules follow what the quality benchmark measured
 * (docs/regimes.md): online model selection (`auto`) for classification whatever
 * the share of labels, since no semi-supervised regime paid there; encoder
 * pretraining for regression with scarce labels when there is time for it;
 * self-supervised pretraining only when nothing is labelled. Semi-supervised
 * regimes stay bake-off candidates (co-training only for vectors wide enough to
 * split in two views), so `--bakeoff` can overrule the rules on a user's data.
 *
 * @example
 * recommendRegime(profileDataset(events), 60).regime; // 'self-training'
 */
export function recommendRegime(p: DatasetProfile, budgetSeconds: number): Plan {
  const reasons: string[] = [];
  const share = p.events ? p.labelled / p.events : 0;
  const classes = Object.keys(p.classCounts).length;
  const perClass = classes ? p.labelled / classes : p.labelled;
  // Pretraining runs extra passes over the unlabelled inputs: about 10 epochs, ~20k rows/s for small dense models.
  const pretrainSeconds = (p.unlabelled * 10) / 20_000 + (p.modality === 'text' ? p.unlabelled / 2000 : 0);
  const roomForPretraining = pretrainSeconds * 3 < budgetSeconds;
  reasons.push(`${p.events} ${p.modality === 'text' ? 'texts' : `feature vectors of ${p.width} values`}, ${p.labelled} labelled (${pct(share)}), ${p.unlabelled} unlabelled`);
  let regime: Regime;
  const candidates: Regime[] = ['auto', 'supervised'];
  if (p.labelled === 0) {
    regime = p.modality === 'text' ? 'masked' : 'autoencoder';
    reasons.push('no event has a label: only self-supervised pretraining can use this data now; a head needs labels later');
  } else if (share >= 0.5) {
    regime = 'auto';
    reasons.push(`most events are labelled (${pct(share)}): learn them directly, batch first and then online, with online model selection (auto: linear, MLP, nearest neighbours, naive Bayes, a Hoeffding tree and their blend; the best serves)`);
  } else if (p.task === 'regression') {
    regime = roomForPretraining && p.modality === 'features' ? 'autoencoder' : 'auto';
    reasons.push(
      regime === 'autoencoder'
        ? 'labels are scarce for a regression: an encoder pretrained on the unlabelled inputs lowered the error in our benchmark (it closed about a fifth to a quarter of the gap to full labels)'
        : 'labels are scarce, but the time budget is too short for pretraining: auto on the labelled events',
    );
  } else {
    regime = 'auto';
    reasons.push(
      `labels are scarce (${pct(share)}, about ${Math.round(perClass)} per class), but in our benchmark no semi-supervised regime (self-training, co-training, multi-view, pretraining) closed more than a fifth of the gap to full labels at 5% labels on any of ten classification streams (docs/regimes.md): learn the labelled events with auto; \`--bakeoff\` tries the semi-supervised regimes on your data and switches if one wins beyond its noise`,
    );
    if (p.unlabelled > 0) candidates.push('self-training');
  }
  if (p.task === 'classification') {
    if (p.unlabelled > 0 && !candidates.includes('self-training')) candidates.push('self-training');
    if (p.modality === 'features' && p.width >= 8 && p.unlabelled > 0) candidates.push('co-training', 'multi-view');
    const counts = Object.values(p.classCounts);
    if (counts.length > 1 && Math.min(...counts) / Math.max(...counts) < 0.2) {
      reasons.push('classes are unbalanced (rarest under a fifth of the most common): watch per-class accuracy and consider event weights');
    }
  }
  if (p.unlabelled > 0 && roomForPretraining) candidates.push(...(p.modality === 'text' ? (['masked', 'contrastive'] as const) : (['autoencoder', 'masked', 'contrastive'] as const)));
  else if (p.unlabelled > 0) reasons.push(`pretraining on ${p.unlabelled} unlabelled inputs would take about ${Math.ceil(pretrainSeconds)} s of a ${budgetSeconds} s budget: left out`);
  if (p.labelled < 200 && p.labelled > 0) reasons.push('small labelled set: keep the model small (one hidden layer) and trust the prequential score more than one holdout split');
  if (!candidates.includes(regime)) candidates.unshift(regime);
  return { regime, reasons, candidates: [...new Set(candidates)], profile: p, budgetSeconds };
}
