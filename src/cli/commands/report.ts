import { loadConfig, ConfigError, ModelNotFoundError } from '../../core/index.js';
import { VersionStore } from '../../registry/index.js';
import { buildReport } from '../../ops/report/index.js';
import { commonOverrides, type Command } from '../args.js';

export const reportCommand: Command = {
  name: 'report',
  usage: `Usage: streamtune report --out DIR [--model NAME] [--registry DIR] [--prometheus-url URL]

Reads every version's meta.json in the registry (created time, prequential
accuracy, examples seen, promotion decision); with --prometheus-url it also
asks Prometheus (query_range) for events/s, Predict latency, freshness and
rollbacks by an operator. Writes DIR/index.html and one PNG per chart, each
readable on its own: title, time and value axes with ticks and units, a
legend, and labelled markers for version swaps, rollbacks and candidates the
guardrail rejected. Needs no browser or network beyond Prometheus; chart text
uses the system's DejaVu Sans (Debian: fonts-dejavu-core).

Example:
  streamtune report --out report/ --prometheus-url http://127.0.0.1:9090`,
  options: {
    out: { type: 'string' },
    'prometheus-url': { type: 'string' },
  },
  async run(values) {
    if (!values.out) throw new ConfigError('--out', 'give the directory to write the report to');
    const config = loadConfig({ ...(values.config ? { file: values.config as string } : {}), env: process.env, overrides: commonOverrides(values) });
    // Checked here, so the message can say which flags point at the right registry.
    if ((await new VersionStore(config.registryDir).list(config.model)).length === 0) {
      throw new ModelNotFoundError(
        `model "${config.model}" has no versions in ${config.registryDir}: give the registry the server uses with --registry DIR (and --model NAME), or train one with \`streamtune train\``,
        { model: config.model, registryDir: config.registryDir },
      );
    }
    const r = await buildReport({
      registryDir: config.registryDir,
      model: config.model,
      outDir: values.out as string,
      ...(values['prometheus-url'] ? { prometheusUrl: values['prometheus-url'] as string } : {}),
    });
    process.stdout.write(`wrote ${r.html} (${r.charts.length} charts, ${r.versions} versions)\n`);
    return 0;
  },
};
