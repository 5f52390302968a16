/** Where each part of an event is found in a CSV row or a JSON record (column or field names). */
export interface FieldMapping {
  /** @defaultValue 'id' (a row number when absent) */
  id?: string;
  /** @defaultValue 'label' (empty or missing = unlabelled) */
  label?: string;
  /** Text input column/field. */
  text?: string;
  /** Feature columns/fields, in order (a JSON field may also hold the whole array). */
  features?: string[];
  /** Column/field holding base64 image data or a path to a PNG/JPEG (relative to the input file). */
  image?: string;
  /** Column/field holding base64 WAV data or a path to a WAV file (relative to the input file). */
  audio?: string;
}

/** Reads a dotted field path (`meta.label`) from a JSON record. */
export function getField(record: unknown, field: string): unknown {
  let v: unknown = record;
  for (const k of field.split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}
