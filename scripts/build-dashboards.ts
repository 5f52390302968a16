// Writes grafana/dashboards/*.json from src/ops/dashboards (dashboards as code; a test keeps them in sync),
// and the same files into the Helm chart, which can only read files inside its own directory.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dashboardFiles } from '../src/ops/dashboards/index.js';

const root = path.resolve(import.meta.dirname, '..');
for (const rel of ['grafana/dashboards', 'deploy/helm/streamtune/dashboards']) {
  const dir = path.join(root, rel);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(dir)) if (f.endsWith('.json')) fs.rmSync(path.join(dir, f));
  for (const [name, json] of Object.entries(dashboardFiles())) {
    fs.writeFileSync(path.join(dir, name), `${JSON.stringify(json, null, 2)}\n`);
    process.stdout.write(`wrote ${rel}/${name}\n`);
  }
}
