import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/index.js';
import { decodeEvent, decodeLabelMessage, MAX_EVENT_BYTES } from '../../src/ingest/index.js';

const rejects = (raw: string | Buffer): InvalidInputError => {
  try {
    decodeEvent(Buffer.isBuffer(raw) ? raw : Buffer.from(raw));
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return err as InvalidInputError;
  }
  throw new Error('expected a rejection');
};

describe('decodeEvent', () => {
  it('accepts feature, text and unlabelled events', () => {
    expect(decodeEvent('{"id":"a","input":{"features":[1,2.5]},"label":"x","weight":2}')).toEqual({
      id: 'a',
      input: { features: [1, 2.5] },
      label: 'x',
      weight: 2,
    });
    expect(decodeEvent('{"id":"b","input":{"text":"hi there"},"label":3}').label).toBe(3);
    expect(decodeEvent('{"id":"c","input":{"text":"hi"},"label":null}').label).toBeNull();
  });

  it('decodeLabelMessage takes labels by reference (prediction_id, no input); decodeEvent names input for them', () => {
    expect(decodeLabelMessage('{"id":"f1","model":"m","prediction_id":"p-1","label":"x","ts":5}')).toEqual({ id: 'f1', model: 'm', prediction_id: 'p-1', label: 'x', ts: 5 });
    expect(decodeLabelMessage('{"id":"f2","prediction_id":"p-2","label":2.5}')).toEqual({ id: 'f2', prediction_id: 'p-2', label: 2.5 });
    expect(decodeLabelMessage('{"id":"a","input":{"features":[1]},"label":"x"}')).toEqual({ id: 'a', input: { features: [1] }, label: 'x' });
    const noLabel = (() => {
      try {
        decodeLabelMessage('{"id":"f3","prediction_id":"p-3","label":null}');
      } catch (err) {
        return err as InvalidInputError;
      }
      throw new Error('expected a rejection');
    })();
    expect([noLabel.reason, noLabel.field]).toEqual(['schema', 'label']);
    const byRef = rejects('{"id":"f1","prediction_id":"p-1","label":"x"}');
    expect([byRef.reason, byRef.field]).toEqual(['schema', 'input']);
  });

  it('names the reason and the field of each rejection', () => {
    expect(rejects('{"id":"a","input":').reason).toBe('bad_json');
    const missing = rejects('{"id":"a","label":"x"}');
    expect([missing.reason, missing.field]).toEqual(['schema', 'input']);
    const infinite = rejects('{"id":"a","input":{"features":[1,1e999]},"label":"x"}');
    expect([infinite.reason, infinite.field]).toEqual(['non_finite', 'input.features.1']);
    expect(rejects('{"id":"a","input":{"features":[1]},"label":"x","extra":1}').reason).toBe('schema');
    expect(rejects('{"id":"","input":{"features":[1]},"label":"x"}').field).toBe('id');
    expect(rejects(Buffer.alloc(0)).reason).toBe('empty');
    expect(rejects(Buffer.alloc(MAX_EVENT_BYTES + 1, 32)).reason).toBe('too_large');
  });

  it('rejects out-of-range numbers (1e999, -1e999) anywhere as non_finite, naming the field (issue 11, D5)', () => {
    const cases: [string, string][] = [
      ['{"id":"a","input":{"features":[1,-1e999]},"label":"x"}', 'input.features.1'],
      ['{"id":"a","input":{"features":[1,1e999]},"label":"x"}', 'input.features.1'],
      ['{"id":"a","input":{"features":[1]},"label":-1e999}', 'label'],
      ['{"id":"a","input":{"features":[1]},"label":1e999}', 'label'],
      ['{"id":"a","input":{"features":[1]},"label":"x","weight":1e999}', 'weight'],
      ['{"id":"a","input":{"features":[1]},"label":"x","ts":-1e999}', 'ts'],
    ];
    for (const [raw, field] of cases) {
      const err = rejects(raw);
      expect({ raw, reason: err.reason, field: err.field }).toEqual({ raw, reason: 'non_finite', field });
      expect(err.message).toMatch(/finite/);
    }
  });
});
