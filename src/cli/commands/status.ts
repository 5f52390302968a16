import type { Command } from '../args.js';
import { defaultAddress } from '../admin-client.js';
import { collectFeedbackStatus, feedbackRows } from '../feedback-status.js';
import { collectStatus, formatStatus } from '../server-status.js';

export const statusCommand: Command = {
  name: 'status',
  summary: 'what a running server serves: version, age, online accuracy, consumer lag, last swap, backend',
  usage: `Usage: streamtune status [--address HOST:PORT] [--metrics-url URL] [--feedback-metrics-url URL] [--model NAME] [--json]

Asks the server over gRPC (GetModel, ListVersions) and, for live numbers, its
metrics endpoint. --metrics-url defaults to http://127.0.0.1:$STREAMTUNE_METRICS_PORT/metrics
(9464); pass --metrics-url "" to skip it. --feedback-metrics-url (the /metrics of
\`streamtune join\`, e.g. http://127.0.0.1:9466/metrics) adds the live ground truth: the
serving version's accuracy on the calls whose labels came back, joins and label delay.

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
    const status = await collectStatus({
      address: (values.address as string | undefined) ?? defaultAddress(),
      ...(metricsUrl ? { metricsUrl } : {}),
      ...(values.model ? { model: values.model as string } : {}),
    });
    const feedbackUrl = values['feedback-metrics-url'] as string | undefined;
    const feedback = feedbackUrl ? await collectFeedbackStatus(feedbackUrl, status.model, status.version) : undefined;
    const text = [formatStatus(status), ...(feedback ? feedbackRows(feedback).map(([k, v]) => `${k.padEnd(16)} ${v}`) : [])].join('\n');
    process.stdout.write(values.json ? `${JSON.stringify(feedback ? { ...status, feedback } : status)}\n` : `${text}\n`);
    return 0;
  },
};
