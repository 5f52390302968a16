import type { LabelEvent } from '../ingest/index.js';
import type { Task } from './learner.js';
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
 * (docs/regimes.md): online model selection (`auto`) when labels are plentiful; self-training
 * when a little labelled data gives a usable first model and many inputs are
 * unlabelled; encoder pretraining when labels are very scarce and there is time
 * for it; co-training only for feature vectors wide enough to split in two views.
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
  } else if (perClass >= 10 || p.task === 'regression') {
    regime = p.task === 'regression' ? (roomForPretraining && p.modality === 'features' ? 'autoencoder' : 'supervised') : 'self-training';
    if (p.task === 'regression') reasons.push(roomForPretraining ? 'labels are scarce for a regression: an encoder pretrained on the unlabelled inputs gave lower error in our benchmark' : 'labels are scarce, but the time budget is too short for pretraining: supervised on the labelled events');
    else reasons.push(`labels are scarce (${pct(share)}) but there are about ${Math.round(perClass)} per class, enough for a first model whose confident predictions can label the rest (self-training)`);
    candidates.push('self-training');
  } else {
    regime = roomForPretraining ? (p.modality === 'text' ? 'contrastive' : 'masked') : 'self-training';
    reasons.push(`very few labels (about ${Math.round(perClass)} per class): ${roomForPretraining ? 'pretraining an encoder on the unlabelled inputs first' : 'the budget leaves no time for pretraining, so self-training'}`);
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
