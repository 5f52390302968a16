import type { Command } from '../args.js';
import { defaultAddress } from '../admin-client.js';
import { collectFeedbackStatus, feedbackRows } from '../feedback-status.js';
import { collectStatus, formatStatus, servedModels } from '../server-status.js';

export const statusCommand: Command = {
  name: 'status',
  usage: `Usage: streamtune status [--address HOST:PORT] [--metrics-url URL] [--feedback-metrics-url URL] [--model NAME] [--json]

Asks the server over gRPC (ListModels, GetModel, ListVersions) and, for live numbers,
its metrics endpoint, about every model it serves (--model: that one only), one
block per model (--json: one JSON object per line). --metrics-url defaults to
http://127.0.0.1:$STREAMTUNE_METRICS_PORT/metrics (9464); pass --metrics-url "" to skip it.
--feedback-metrics-url (the /metrics of \`streamtune join\`, e.g. http://127.0.0.1:9466/metrics)
adds the live ground truth: the serving version's accuracy on the calls whose labels
came back, joins and label delay.

Example:
  streamtune status --address 127.0.0.1:50051 --metrics-url http://127.0.0.1:9464/metrics --json`,
  options: {
    address: { type: 'string' },
    'metrics-url': { type: 'string' },
    'feedback-metrics-url': { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(values) {
    const metricsUrl = (values['metrics-url'] as string | undefined) ?? `http://127.0.0.1:${process.env.STREAMTUNE_METRICS_PORT ?? 9464}/metrics`;
    const address = (values.address as string | undefined) ?? defaultAddress();
    const models = values.model ? [values.model as string] : await servedModels(address);
    const statuses = await Promise.all(models.map((model) => collectStatus({ address, model, ...(metricsUrl ? { metricsUrl } : {}) })));
    const feedbackUrl = values['feedback-metrics-url'] as string | undefined;
    const feedbacks = feedbackUrl ? await Promise.all(statuses.map((s) => collectFeedbackStatus(feedbackUrl, s.model, s.version))) : undefined;
    const text = statuses.map((s, i) => [formatStatus(s), ...(feedbacks ? feedbackRows(feedbacks[i]!).map(([k, v]) => `${k.padEnd(16)} ${v}`) : [])].join('\n'));
    const json = statuses.map((s, i) => JSON.stringify(feedbacks ? { ...s, feedback: feedbacks[i] } : s));
    process.stdout.write(values.json ? json.map((j) => `${j}\n`).join('') : `${text.join('\n\n')}\n`);
    return 0;
  },
};
