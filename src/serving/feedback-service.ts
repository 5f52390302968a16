import type * as grpc from '@grpc/grpc-js';
import type { Metrics } from '../ops/index.js';
import type { FeedbackIntake } from './feedback-intake.js';
import { unaryHandler } from './unary-handler.js';
import type { WireFeedbackRequest } from './wire-types.js';

/** The `Feedback` RPC of `streamtune.v1.Predictor` (see {@link FeedbackIntake}). */
export function feedbackHandlers(intake: FeedbackIntake, metrics: Metrics): grpc.UntypedServiceImplementation {
  return {
    Feedback: unaryHandler<WireFeedbackRequest, { eventId: string; topic: string }>('Feedback', metrics, (call) => {
      const r = call.request;
      const label = r.truth === 'label' ? r.label : r.truth === 'value' ? r.value : undefined;
      return intake.submit({ model: r.model, predictionId: r.predictionId, label, field: { predictionId: 'prediction_id', label: 'label' } });
    }),
  };
}
