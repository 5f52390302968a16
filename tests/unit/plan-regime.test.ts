import { describe, expect, it } from 'vitest';
import type { LabelEvent } from '../../src/ingest/index.js';
import { parseBudget, settle } from '../../src/cli/commands/plan.js';
import { seededRandom } from '../../src/core/index.js';
import { pairedDifference } from '../../src/evaluation/index.js';
import { profileDataset, recommendRegime, type DatasetProfile, type Plan } from '../../src/regimes/index.js';

const profile = (p: Partial<DatasetProfile>): DatasetProfile => ({
  modality: 'features',
  task: 'classification',
  events: 1000,
  labelled: 1000,
  unlabelled: 0,
  classCounts: { a: 500, b: 500 },
  width: 16,
  ...p,
});

describe('regime planner', () => {
  it('profiles a dataset: modality, labelled vs unlabelled, classes, task from the labels', () => {
    const events: LabelEvent[] = [
      { id: '1', input: { text: 'cheap pills now' }, label: 'spam' },
      { id: '2', input: { text: 'meeting at noon' }, label: 'ham' },
      { id: '3', input: { text: 'see you there' }, label: null },
    ];
    expect(profileDataset(events)).toMatchObject({ modality: 'text', task: 'classification', events: 3, labelled: 2, unlabelled: 1, classCounts: { spam: 1, ham: 1 }, width: 3 });
    const reg = profileDataset([{ id: 'r', input: { features: [1, 2] }, label: 3.5 }]);
    expect(reg).toMatchObject({ task: 'regression', modality: 'features', width: 2, classCounts: {} });
  });

  it('mostly labelled data: online model selection (auto), and says why', () => {
    const plan = recommendRegime(profile({}), 60);
    expect(plan.regime).toBe('auto');
    expect(plan.reasons.join(' ')).toMatch(/most events are labelled \(100%\)/);
    expect(plan.candidates).toEqual(['auto', 'supervised']);
  });

  it('scarce labels: auto, as measured (no semi-supervised regime paid), with the semi-supervised regimes as bake-off candidates', () => {
    const plan = recommendRegime(profile({ events: 5000, labelled: 250, unlabelled: 4750, classCounts: { a: 125, b: 125 } }), 600);
    expect(plan.regime).toBe('auto');
    expect(plan.candidates).toEqual(expect.arrayContaining(['auto', 'supervised', 'self-training', 'co-training', 'autoencoder']));
    expect(plan.reasons.join(' ')).toMatch(/about 125 per class/);
    expect(plan.reasons.join(' ')).toMatch(/no semi-supervised regime/);
  });

  it('very few labels per class: still auto; pretraining is a candidate only when the budget allows', () => {
    const few = profile({ events: 20_000, labelled: 40, unlabelled: 19_960, classCounts: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`c${i}`, 4])) });
    const long = recommendRegime(few, 3600);
    expect(long.regime).toBe('auto');
    expect(long.candidates).toEqual(expect.arrayContaining(['masked', 'contrastive']));
    expect(recommendRegime({ ...few, modality: 'text' }, 3600).candidates).toEqual(expect.arrayContaining(['masked', 'contrastive']));
    const short = recommendRegime(few, 5);
    expect(short.regime).toBe('auto');
    expect(short.candidates).not.toContain('autoencoder');
    expect(short.reasons.join(' ')).toMatch(/left out/);
  });

  it('no labels at all: self-supervised pretraining; unbalanced classes are called out', () => {
    expect(recommendRegime(profile({ labelled: 0, unlabelled: 1000, classCounts: {} }), 600).regime).toBe('autoencoder');
    const unbalanced = recommendRegime(profile({ classCounts: { a: 950, b: 50 } }), 60);
    expect(unbalanced.reasons.join(' ')).toMatch(/unbalanced/);
  });

  it('text is never split into co-training views; regression with scarce labels pretrains if there is time', () => {
    const text = recommendRegime(profile({ modality: 'text', width: 40, labelled: 300, unlabelled: 700, classCounts: { a: 150, b: 150 } }), 600);
    expect(text.candidates).not.toContain('co-training');
    const reg = recommendRegime(profile({ task: 'regression', labelled: 100, unlabelled: 900, classCounts: {} }), 600);
    expect(reg.regime).toBe('autoencoder');
  });

  it('parses budgets and rejects nonsense', () => {
    expect(parseBudget('90')).toBe(90);
    expect(parseBudget('5m')).toBe(300);
    expect(parseBudget('1h')).toBe(3600);
    expect(() => parseBudget('soon')).toThrow(/not a duration/);
  });
});

describe('the plan after a bake-off', () => {
  const plan = (): Plan => recommendRegime(profile({ events: 5000, labelled: 250, unlabelled: 4750, classCounts: { a: 125, b: 125 } }), 600);
  const hits = (n: number, rate: number, seed: number): number[] => {
    const rand = seededRandom(seed);
    return Array.from({ length: n }, () => (rand() < rate ? 1 : 0));
  };

  it('follows the bake-off winner when it leads the rule-based choice by more than the noise', () => {
    const p = plan();
    expect(p.regime).toBe('auto');
    const ranked = [
      { regime: 'co-training', score: 0.9, seconds: 1, scores: hits(2000, 0.9, 1) },
      { regime: 'auto', score: 0.7, seconds: 1, scores: hits(2000, 0.7, 2) },
    ];
    const s = settle(p, ranked, 'classification');
    expect(s.regime).toBe('co-training');
    expect(s.reason).toMatch(/overrules/);
    expect(s.noise).toBeGreaterThan(0);
  });

  it('keeps the rule-based choice, and says the bake-off cannot tell, when the lead is within the noise', () => {
    const same = hits(60, 0.8, 3);
    const ranked = [
      { regime: 'co-training', score: 0.82, seconds: 1, scores: same.map((v, i) => (i === 0 ? 1 : v)) },
      { regime: 'auto', score: 0.8, seconds: 1, scores: same },
    ];
    const s = settle(plan(), ranked, 'classification');
    expect(s.regime).toBe('auto');
    expect(s.reason).toMatch(/within the noise of 60 events/);
  });

  it('pairedDifference: a difference larger than two standard errors is significant', () => {
    expect(pairedDifference([1, 1, 1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0, 1]).significant).toBe(true);
    expect(pairedDifference([1, 0, 1, 0], [0, 1, 1, 0]).significant).toBe(false);
  });
});
