import { ConfigError } from '../../core/index.js';
import { PredictorClient, type ClientInstance, type WirePredictResponse } from '../../serving/index.js';
import type { Command } from '../args.js';
import { defaultAddress } from '../admin-client.js';

export const predictCommand: Command = {
  name: 'predict',
  usage: `Usage: streamtune predict (--features 1,2,3 | --text "some text") [--address HOST:PORT] [--model NAME] [--version V]

Prints {"model", "version", "predictions"}: a classifier's prediction is its label,
confidence and every class's score; a regressor's is its value; a span model's its
spans (start, end, label, text).

Example:
  streamtune predict --address 127.0.0.1:50051 --features 0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,0,3,15,2,0,11,8,0,0,4,12,0,0,8,8,0,0,5,8,0,0,9,8,0,0,4,11,0,1,12,7,0,0,2,14,5,10,12,0,0,0,0,6,13,10,0,0,0`,
  options: {
    address: { type: 'string' },
    features: { type: 'string' },
    text: { type: 'string' },
    version: { type: 'string' },
  },
  async run(values) {
    let inst: ClientInstance;
    if (typeof values.features === 'string') {
      const xs = values.features.split(',').map(Number);
      const bad = xs.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) throw new ConfigError('--features', `value ${bad} is not a number`);
      inst = { features: xs };
    } else if (typeof values.text === 'string') {
      inst = { text: values.text };
    } else {
      throw new ConfigError('--features', 'give --features or --text');
    }
    const client = new PredictorClient((values.address as string | undefined) ?? defaultAddress());
    try {
      await client.connect();
      const res = await client.predict([inst], { model: values.model as string | undefined, version: values.version as string | undefined });
      // A span model that finds no span answers with proto3 defaults only, as a regressor's 0 would: its task tells them apart.
      const spans = res.predictions.every((p) => !p.label && !p.spans?.length) && (await client.getModel(res.model)).task === 'spans';
      process.stdout.write(`${JSON.stringify(answer(res, spans))}\n`);
      return 0;
    } finally {
      client.close();
    }
  },
};

/**
 * The answer as a user reads it: proto3 fills every field with a default, so a
 * classifier's prediction would carry `"value": 0` and a regressor's an empty label.
 * Each keeps only the fields its task sets, and the prediction id when the call was logged.
 */
export function answer(res: WirePredictResponse, spanModel = false): { model: string; version: string; predictions: Record<string, unknown>[] } {
  return {
    model: res.model,
    version: res.version,
    predictions: res.predictions.map((p) => ({
      ...(spanModel || (p.spans?.length ?? 0) > 0
        ? { spans: p.spans ?? [] }
        : p.label || Object.keys(p.scores ?? {}).length > 0
          ? { label: p.label, confidence: p.confidence, scores: p.scores }
          : { value: p.value }),
      // The id to send feedback with, when the server logged the call.
      ...(p.predictionId ? { predictionId: p.predictionId } : {}),
    })),
  };
}
