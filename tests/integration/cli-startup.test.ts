/**
 * The `streamtune` command as a process: --help and --version load no command
 * (nor tfjs, gRPC, kafkajs), and a port that is taken is one line, exit 2, no stack
 * trace, before anything else is printed (serve loads no model first; label joins
 * no consumer group first).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { run } from '../helpers/outside-tools.js';
import { startServingFixture, type ServingFixture } from '../helpers/serving-fixture.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts');
const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');
const PROBE = path.join(ROOT, 'tests', 'fixtures', 'heavy-modules-probe.mjs');

/** `streamtune ARGS` as a child process, with the variables it reads cleared; stderr split in lines. */
async function streamtune(args: string[], probe = false): Promise<{ status: number | null; stdout: string; lines: string[] }> {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('STREAMTUNE_') || k === 'KAFKA_BROKERS') delete env[k];
  const r = await run(process.execPath, [...(probe ? ['--import', PROBE] : []), '--import', TSX, MAIN, ...args], { env, timeoutMs: 120_000, cwd: ROOT });
  return { status: r.status, stdout: r.stdout, lines: r.stderr.split('\n').filter(Boolean) };
}

/** Exactly one line on stderr, exit 2, no stack trace. */
function expectOneLine(r: { status: number | null; lines: string[] }, re: RegExp): void {
  expect({ status: r.status, lines: r.lines }).toEqual({ status: 2, lines: [expect.stringMatching(re)] });
}

describe('streamtune as a process: help, version, ports in use', { timeout: 240_000 }, () => {
  let fx: ServingFixture;
  let busy: net.Server;
  let busyPort: number;

  beforeAll(async () => {
    fx = await startServingFixture({ versions: 1 });
    busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    busyPort = (busy.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => busy?.close(resolve));
    await fx?.close();
  });

  it('--help lists every command and loads none of them (no tfjs, gRPC or kafkajs)', async () => {
    const r = await streamtune(['--help'], true);
    expect({ status: r.status, lines: r.lines }).toEqual({ status: 0, lines: ['heavy modules loaded: 0'] });
    for (const name of ['train', 'serve', 'learn', 'produce', 'predict', 'demo', 'plan', 'status', 'models', 'report', 'label', 'healthcheck']) {
      expect(r.stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    }
    // A command's own help still loads it: the probe sees the difference.
    const own = await streamtune(['status', '--help'], true);
    expect(own.stdout).toMatch(/^Usage: streamtune status/);
    expect(Number(/heavy modules loaded: (\d+)/.exec(own.lines.join('\n'))![1])).toBeGreaterThan(0);
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await streamtune(['--version'], true);
    expect({ status: r.status, stdout: r.stdout, lines: r.lines }).toEqual({ status: 0, stdout: `streamtune ${pkg.version}\n`, lines: ['heavy modules loaded: 0'] });
  });

  it('serve on a port in use: one line naming the key, before any model loads', async () => {
    const base = ['serve', '--registry', fx.dir, '--model', 'm', '--no-learn', '--backend', 'cpu'];
    const grpcPort = String(fx.app.grpc!.port);
    expectOneLine(
      await streamtune([...base, '--port', grpcPort, '--http-port', '0', '--metrics-port', '0']),
      new RegExp(`^streamtune serve: invalid configuration "serving\\.port": cannot listen on 127\\.0\\.0\\.1:${grpcPort}: the address is in use .*; choose another port`),
    );
    expectOneLine(
      await streamtune([...base, '--port', '0', '--http-port', String(busyPort), '--metrics-port', '0']),
      new RegExp(`^streamtune serve: invalid configuration "serving\\.http\\.port": cannot listen on 127\\.0\\.0\\.1:${busyPort}: the address is in use`),
    );
    expectOneLine(
      await streamtune([...base, '--port', '0', '--http-port', '0', '--metrics-port', String(busyPort)]),
      new RegExp(`^streamtune serve: invalid configuration "metrics\\.port": cannot listen on 127\\.0\\.0\\.1:${busyPort}: the address is in use`),
    );
  });

  it('label on a port in use: one line naming the key, exit 2, no stack trace', async () => {
    const r = await streamtune(['label', '--port', String(busyPort), '--brokers', inject('kafkaBrokers')]);
    expectOneLine(r, new RegExp(`^streamtune label: invalid configuration "labelling\\.port": cannot listen on 127\\.0\\.0\\.1:${busyPort}: the address is in use .*; choose another port`));
  });
});
