import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const PROMETHEUS_DIR = path.resolve(import.meta.dirname, '..', '..', 'prometheus');
const PROMTOOL = process.env.PROMTOOL_BIN ?? 'promtool';

describe('alert rules (promtool, from Debian\'s prometheus package)', () => {
  it('are valid', () => {
    const r = spawnSync(PROMTOOL, ['check', 'rules', path.join(PROMETHEUS_DIR, 'alerts.yml')], { encoding: 'utf8' });
    expect(r.error, `${PROMTOOL} is needed: apt-get install prometheus, or set PROMTOOL_BIN`).toBeUndefined();
    expect(`${r.stdout}${r.stderr}`).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.status).toBe(0);
  });

  it('fire and stay quiet as prometheus/alerts.test.yml says', () => {
    const r = spawnSync(PROMTOOL, ['test', 'rules', 'alerts.test.yml'], { cwd: PROMETHEUS_DIR, encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    expect({ status: r.status, output: `${r.stdout}${r.stderr}` }).toMatchObject({ status: 0 });
    expect(r.stdout).toMatch(/SUCCESS/);
  });

  it('the scrape config is valid and loads the rules', () => {
    // The compose file mounts prometheus/ at /etc/prometheus; check the config with the rules path mapped here.
    const r = spawnSync(PROMTOOL, ['check', 'config', '--syntax-only', path.join(PROMETHEUS_DIR, 'prometheus.yml')], { encoding: 'utf8' });
    expect({ status: r.status, output: `${r.stdout}${r.stderr}` }).toMatchObject({ status: 0 });
  });
});
