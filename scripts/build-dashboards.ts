// Writes grafana/dashboards/*.json from src/ops/dashboards (dashboards as code; a test keeps them in sync).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dashboardFiles } from '../src/ops/dashboards/index.js';

const dir = path.resolve(import.meta.dirname, '..', 'grafana', 'dashboards');
for (const f of fs.readdirSync(dir)) if (f.endsWith('.json')) fs.rmSync(path.join(dir, f));
for (const [name, json] of Object.entries(dashboardFiles())) {
  fs.writeFileSync(path.join(dir, name), `${JSON.stringify(json, null, 2)}\n`);
  process.stdout.write(`wrote grafana/dashboards/${name}\n`);
}
