import { resolveMedia } from './resolve-media.js';

/**
 * An event input from mapped values: the one kind that is set. When several
 * are, all are kept so the schema rejects the row naming them ("exactly one of").
 */
export async function buildInput(v: { text?: unknown; features?: unknown; image?: unknown; audio?: unknown }, baseDir: string): Promise<Record<string, unknown>> {
  const input: Record<string, unknown> = {};
  if (v.text !== undefined) input.text = v.text;
  if (v.features !== undefined) input.features = v.features;
  if (v.image !== undefined) input.image = await resolveMedia(v.image, baseDir);
  if (v.audio !== undefined) input.audio = await resolveMedia(v.audio, baseDir);
  return input;
}
