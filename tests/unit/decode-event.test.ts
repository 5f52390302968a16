import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/index.js';
import { decodeEvent, MAX_EVENT_BYTES } from '../../src/ingest/index.js';

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
});
