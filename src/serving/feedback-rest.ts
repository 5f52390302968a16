import { InvalidInputError } from '../core/index.js';
import type { FeedbackIntake } from './feedback-intake.js';

/**
 * `POST /v2/models/{name}/feedback` with `{"prediction_id": "…", "label": "cat"}`
 * (or `"label": 3.2` for a regression model): the feedback sent, as
 * `{"event_id": …, "topic": …}`. A bad body is 400 naming the field.
 *
 * @example
 * curl -d '{"prediction_id":"p1","label":"7"}' http://127.0.0.1:8000/v2/models/digits/feedback
 */
export async function feedbackAnswer(intake: FeedbackIntake, model: string, body: Buffer): Promise<{ event_id: string; topic: string }> {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new InvalidInputError('bad_request', 'body', `body is not valid JSON: ${(err as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new InvalidInputError('bad_request', 'body', 'body must be a JSON object {"prediction_id": …, "label": …}');
  const o = json as Record<string, unknown>;
  const unknown = Object.keys(o).find((k) => k !== 'prediction_id' && k !== 'label');
  if (unknown) throw new InvalidInputError('bad_request', unknown, `${unknown}: not a field of feedback (prediction_id, label)`);
  if (o.prediction_id !== undefined && typeof o.prediction_id !== 'string') throw new InvalidInputError('bad_request', 'prediction_id', 'prediction_id: must be a string');
  const label = typeof o.label === 'string' || typeof o.label === 'number' ? o.label : undefined;
  const { eventId, topic } = await intake.submit({ model, predictionId: (o.prediction_id as string | undefined) ?? '', label, field: { predictionId: 'prediction_id', label: 'label' } });
  return { event_id: eventId, topic };
}
