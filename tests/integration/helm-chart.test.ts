/**
 * The Helm chart (deploy/helm/streamtune) as `helm install` would render it: `helm
 * lint`, then `helm template` with the default values and with ci/production-values.yaml
 * (three trainers and replicas, the feedback joiner, SASL over TLS, a ServiceMonitor,
 * the KServe runtime),
 * and the wiring of what comes out: kinds, gRPC probes on the gRPC port, Service
 * targets that are container ports, selectors that match their pods, the dashboards,
 * the Secrets the pods reference, and a config file streamtune's own loader accepts.
 * helm comes from scripts/setup-helm.sh (HELM_BIN); none is a failure, not a skip.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseFlags } from '../../src/cli/args.js';
import { joinCommand } from '../../src/cli/commands/join.js';
import { learnCommand } from '../../src/cli/commands/learn.js';
import { serveCommand } from '../../src/cli/commands/serve.js';
import { loadConfig, type Config } from '../../src/core/index.js';
import { helmBin } from '../helpers/outside-tools.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CHART = path.join(ROOT, 'deploy', 'helm', 'streamtune');
const VARIANT = path.join(CHART, 'ci', 'production-values.yaml');

type Obj = { kind: string; apiVersion: string; metadata: { name: string; labels?: Record<string, string> }; [k: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
type Container = { name: string; args?: string[]; env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[]; ports?: { name: string; containerPort: number }[]; volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[]; securityContext?: Record<string, unknown>; [probe: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

let helm = '';
function runHelm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(helm, args, { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function render(values: string[]): Obj[] {
  const r = runHelm(['template', 'st', CHART, '--namespace', 'ml', ...values.flatMap((v) => ['-f', v])]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj | null).filter((o): o is Obj => !!o);
}

const all = (objs: Obj[], kind: string): Obj[] => objs.filter((o) => o.kind === kind);
const one = (objs: Obj[], kind: string, nameEnd: string): Obj => {
  const found = objs.filter((o) => o.kind === kind && o.metadata.name.endsWith(nameEnd));
  expect(found.map((o) => o.metadata.name)).toHaveLength(1);
  return found[0]!;
};
const matches = (selector: Record<string, string>, labels: Record<string, string> | undefined): boolean =>
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);
const containersOf = (d: Obj): Container[] => d.spec.template.spec.containers as Container[];
const secretData = (objs: Obj[], name: string): Record<string, string> | undefined => all(objs, 'Secret').find((s) => s.metadata.name === name)?.data as Record<string, string> | undefined;

/** The config file each container reads, loaded by streamtune's own loader with the container's environment (Secrets resolved). */
function configOf(objs: Obj[], c: Container): Config {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'helm-chart-')), 'config.json');
  fs.writeFileSync(file, one(objs, 'ConfigMap', '-config').data['config.json'] as string);
  const env: NodeJS.ProcessEnv = {};
  for (const e of c.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    env[e.name] = ref ? Buffer.from(secretData(objs, ref.name)![ref.key]!, 'base64').toString('utf8') : e.value;
  }
  return loadConfig({ file, env });
}

describe.each([
  { variant: 'default values', values: [] as string[] },
  { variant: 'ci/production-values.yaml', values: [VARIANT] },
])('helm chart, $variant', ({ variant, values }) => {
  const production = variant !== 'default values';
  let objs: Obj[] = [];

  beforeAll(() => {
    helm = helmBin();
    objs = render(values);
  });

  it('passes helm lint', () => {
    const r = runHelm(['lint', CHART, '--strict', ...values.flatMap((v) => ['-f', v])]);
    expect(r.stdout + r.stderr).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(r.status).toBe(0);
  });

  it('renders the trainers, the serving replicas, their Service, config, secrets and dashboards', () => {
    const kinds = objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    const expected = ['ConfigMap/st-streamtune-config', 'ConfigMap/st-streamtune-dashboards', 'Deployment/st-streamtune-serving', 'Deployment/st-streamtune-trainer', 'Secret/st-streamtune-admin', 'Service/st-streamtune'];
    if (production) expected.push('ClusterServingRuntime/streamtune', 'Deployment/st-streamtune-joiner', 'PodMonitor/st-streamtune-joiner', 'PodMonitor/st-streamtune-trainer', 'Secret/st-streamtune-kafka', 'ServiceMonitor/st-streamtune');
    expect(kinds).toEqual(expected.sort());
    expect(one(objs, 'Deployment', '-trainer').spec.replicas).toBe(production ? 3 : 1);
    expect(one(objs, 'Deployment', '-serving').spec.replicas).toBe(production ? 3 : 2);
  });

  it('runs `learn` in the trainers and `serve --follow` in the replicas, with flags the CLI accepts', () => {
    const [trainer] = containersOf(one(objs, 'Deployment', '-trainer'));
    const [serving] = containersOf(one(objs, 'Deployment', '-serving'));
    expect(trainer!.args![0]).toBe('learn');
    expect(serving!.args!.slice(0, 2)).toEqual(['serve', '--follow']);
    expect(parseFlags(learnCommand, trainer!.args!.slice(1)).values.config).toBe('/etc/streamtune/config.json');
    expect(parseFlags(serveCommand, serving!.args!.slice(1)).values).toMatchObject({ follow: true, config: '/etc/streamtune/config.json' });
  });

  it('selects each Deployment\'s own pods, and the Service only the serving pods', () => {
    const serving = one(objs, 'Deployment', '-serving');
    const deployments = all(objs, 'Deployment');
    expect(deployments).toHaveLength(production ? 3 : 2);
    for (const d of deployments) {
      for (const other of deployments) expect({ d: d.metadata.name, other: other.metadata.name, selects: matches(d.spec.selector.matchLabels, other.spec.template.metadata.labels) }).toEqual({ d: d.metadata.name, other: other.metadata.name, selects: d === other });
    }
    const service = one(objs, 'Service', 'streamtune');
    for (const d of deployments) expect(matches(service.spec.selector, d.spec.template.metadata.labels)).toBe(d === serving);
  });

  it('runs one feedback joiner (`join`) when asked, replaced by Recreate, its /metrics on feedback.metricsPort scraped by a PodMonitor', () => {
    if (!production) {
      expect(all(objs, 'Deployment').filter((d) => d.metadata.name.endsWith('-joiner'))).toEqual([]);
      return;
    }
    const deployment = one(objs, 'Deployment', '-joiner');
    // A second joiner of the same feedback.groupId would fence the first: one, and the old one gone before the new starts.
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
    const [joiner] = containersOf(deployment);
    expect(joiner!.args![0]).toBe('join');
    expect(parseFlags(joinCommand, joiner!.args!.slice(1)).values.config).toBe('/etc/streamtune/config.json');
    const config = configOf(objs, joiner!);
    expect(joiner!.ports).toEqual([{ name: 'metrics', containerPort: config.feedback.metricsPort, protocol: 'TCP' }]);
    expect(config.metrics.host).toBe('0.0.0.0');
    // The serving replicas log the predictions it joins labels to.
    expect(configOf(objs, containersOf(one(objs, 'Deployment', '-serving'))[0]!).feedback.log.enabled).toBe(true);
    const monitor = one(objs, 'PodMonitor', '-joiner');
    expect(matches(monitor.spec.selector.matchLabels, deployment.spec.template.metadata.labels)).toBe(true);
    expect(monitor.spec.podMetricsEndpoints).toEqual([expect.objectContaining({ port: 'metrics', path: '/metrics' })]);
  });

  it('probes the gRPC health service (native grpc probes) on the port gRPC listens on', () => {
    const [serving] = containersOf(one(objs, 'Deployment', '-serving'));
    const config = configOf(objs, serving!);
    const grpcPort = serving!.ports!.find((p) => p.name === 'grpc')!.containerPort;
    expect(grpcPort).toBe(config.serving.port);
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      expect({ probe, spec: serving![probe] }).toMatchObject({ probe, spec: { grpc: { port: grpcPort } } });
      expect(Object.keys(serving![probe]).filter((k) => ['httpGet', 'tcpSocket', 'exec'].includes(k))).toEqual([]);
    }
  });

  it('points every Service port at a container port, and the container ports at the configured ones', () => {
    const [serving] = containersOf(one(objs, 'Deployment', '-serving'));
    const config = configOf(objs, serving!);
    const byName = Object.fromEntries(serving!.ports!.map((p) => [p.name, p.containerPort]));
    expect(byName).toEqual({ grpc: config.serving.port, http: config.serving.http.port, metrics: config.metrics.port });
    const service = one(objs, 'Service', 'streamtune');
    const targets = (service.spec.ports as { name: string; targetPort: string | number }[]).map((p) => ({ name: p.name, target: typeof p.targetPort === 'string' ? byName[p.targetPort] : p.targetPort }));
    expect(targets).toEqual([
      { name: 'grpc', target: config.serving.port },
      { name: 'http', target: config.serving.http.port },
      { name: 'metrics', target: config.metrics.port },
    ]);
    for (const monitor of all(objs, 'ServiceMonitor')) {
      expect(matches(monitor.spec.selector.matchLabels, service.metadata.labels)).toBe(true);
      expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ port: 'metrics', path: '/metrics' })]);
      expect(monitor.spec.namespaceSelector.matchNames).toEqual(['ml']);
    }
  });

  it('exposes the trainers\' /metrics on the configured port, reachable from the pod network, and a PodMonitor scrapes it', () => {
    const trainerDeployment = one(objs, 'Deployment', '-trainer');
    const [trainer] = containersOf(trainerDeployment);
    const config = configOf(objs, trainer!);
    expect(trainer!.ports).toEqual([{ name: 'metrics', containerPort: config.metrics.port, protocol: 'TCP' }]);
    // `learn` binds metrics.host: loopback would be unreachable for Prometheus.
    expect(config.metrics.host).toBe('0.0.0.0');
    // The port the flags give wins over the config file's.
    expect(parseFlags(learnCommand, trainer!.args!.slice(1)).values['metrics-port']).toBeUndefined();
    const monitors = all(objs, 'PodMonitor').filter((m) => m.metadata.name.endsWith('-trainer'));
    expect(monitors).toHaveLength(production ? 1 : 0);
    for (const monitor of monitors) {
      expect(matches(monitor.spec.selector.matchLabels, trainerDeployment.spec.template.metadata.labels)).toBe(true);
      expect(matches(monitor.spec.selector.matchLabels, one(objs, 'Deployment', '-serving').spec.template.metadata.labels)).toBe(false);
      expect(monitor.spec.podMetricsEndpoints).toEqual([expect.objectContaining({ port: 'metrics', path: '/metrics' })]);
      expect(monitor.spec.namespaceSelector.matchNames).toEqual(['ml']);
    }
  });

  it('carries every grafana/dashboards/*.json, byte for byte, in a ConfigMap for Grafana\'s sidecar', () => {
    const cm = one(objs, 'ConfigMap', '-dashboards');
    expect(cm.metadata.labels!.grafana_dashboard).toBe('1');
    const dir = path.join(ROOT, 'grafana', 'dashboards');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
    expect(files.length).toBeGreaterThanOrEqual(4);
    expect(Object.keys(cm.data as object).sort()).toEqual(files);
    // The chart's copies (deploy/helm/streamtune/dashboards, written by `npm run dashboards`) are the originals.
    for (const f of files) expect({ f, same: cm.data[f] === fs.readFileSync(path.join(dir, f), 'utf8') }).toEqual({ f, same: true });
  });

  it('references only Secrets (and keys) it renders, or that the values name as existing', () => {
    const existing = production ? ['kafka-cluster-ca-cert'] : [];
    const refs: { secret: string; key: string }[] = [];
    for (const d of all(objs, 'Deployment')) {
      for (const c of containersOf(d)) for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) refs.push({ secret: e.valueFrom.secretKeyRef.name, key: e.valueFrom.secretKeyRef.key });
      for (const v of d.spec.template.spec.volumes as { secret?: { secretName: string; items?: { key: string }[] } }[]) {
        if (v.secret) for (const item of v.secret.items ?? [{ key: '' }]) refs.push({ secret: v.secret.secretName, key: item.key });
      }
    }
    expect(refs.some((r) => r.secret.endsWith('-admin'))).toBe(true);
    if (production) expect(refs.some((r) => r.secret.endsWith('-kafka') && r.key === 'password')).toBe(true);
    for (const r of refs.filter((x) => !existing.includes(x.secret))) {
      const data = secretData(objs, r.secret);
      expect({ ...r, rendered: !!data, hasKey: r.key === '' || Object.hasOwn(data ?? {}, r.key) }).toEqual({ ...r, rendered: true, hasKey: true });
    }
  });

  it('gives each container a config file streamtune loads, with its files on mounted volumes', () => {
    for (const d of all(objs, 'Deployment')) {
      for (const c of containersOf(d)) {
        const config = configOf(objs, c);
        const mounts = c.volumeMounts ?? [];
        const mounted = (file: string): boolean => mounts.some((m) => file.startsWith(`${m.mountPath}/`));
        // A read-only root file system: the registry mirror needs a writable volume.
        expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
        expect(d.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true });
        expect(mounts.find((m) => config.registryDir.startsWith(`${m.mountPath}/`))?.readOnly).toBeUndefined();
        expect(mounted(config.registryDir)).toBe(true);
        expect(config.registry.mode).toBe('kafka');
        expect(config.kafka.brokers.length).toBeGreaterThan(0);
        if (production) {
          expect(config.kafka.sasl).toMatchObject({ mechanism: 'scram-sha-512', username: 'streamtune' });
          expect(config.kafka.sasl!.password).toBeUndefined();
          expect(mounted(config.kafka.sasl!.passwordFile!)).toBe(true);
          expect(mounted(config.kafka.ssl!.caFile!)).toBe(true);
          expect(config.training.maxHeapMb).toBe(1024);
        } else {
          expect([config.kafka.sasl, config.kafka.ssl]).toEqual([undefined, undefined]);
        }
        const admin = c.env?.find((e) => e.name === 'STREAMTUNE_ADMIN_TOKEN');
        expect({ container: c.name, admin: !!admin }).toEqual({ container: c.name, admin: c.name === 'serving' });
        if (admin) expect(config.serving.adminToken.length).toBeGreaterThanOrEqual(32);
      }
    }
  });
});

describe('helm chart, KServe and values that cannot work', () => {
  it('offers a KServe ClusterServingRuntime for modelFormat streamtune (ci/production-values.yaml)', () => {
    helm = helmBin();
    const runtime = one(render([VARIANT]), 'ClusterServingRuntime', 'streamtune');
    expect(runtime.apiVersion).toBe('serving.kserve.io/v1alpha1');
    expect(runtime.spec.supportedModelFormats).toEqual([expect.objectContaining({ name: 'streamtune', autoSelect: true })]);
    expect(runtime.spec.protocolVersions).toEqual(['v2', 'grpc-v2']);
    const [c] = runtime.spec.containers as Container[];
    // KServe fills in {{.Name}} (the InferenceService's name): Helm must leave it as is.
    const line = (c!.args as string[]).join(' ');
    expect(line).toContain('--model {{.Name}}');
    expect(line).toContain('/mnt/models');
    const flags = /exec node dist\/cli\/main\.js serve (.*)$/.exec(line)![1]!.replace('{{.Name}}', 'm').split(/\s+/);
    expect(parseFlags(serveCommand, flags).values).toMatchObject({ 'no-learn': true, port: '9000', 'http-port': '8080', 'metrics-port': runtime.spec.annotations['prometheus.kserve.io/port'] });
  });

  it('refuses SASL without a password or a Secret holding one, naming the keys', () => {
    helm = helmBin();
    const r = runHelm(['template', 'st', CHART, '--set', 'kafka.sasl.enabled=true']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('kafka.sasl.enabled: set kafka.sasl.password, or kafka.sasl.existingSecret');
  });
});
