// Writes docs/metrics.md from the metric catalogue (see src/ops/metric-catalogue.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderMetricsDoc } from '../src/ops/index.js';

const file = path.resolve(import.meta.dirname, '..', 'docs', 'metrics.md');
fs.writeFileSync(file, renderMetricsDoc());
process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
