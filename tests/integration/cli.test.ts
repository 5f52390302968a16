/**
 * The `streamtune` command as a user runs it (a child process, stderr not a
 * terminal): a mistake or a dependency that does not answer is one line that says
 * what to do, exit code 2, and no stack trace; progress is plain lines in a log.
 */
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../helpers/outside-tools.js';
import { startServingFixture, type ServingFixture } from '../helpers/serving-fixture.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts');

/** Runs `streamtune ARGS` from `cwd` with a clean environment for the variables it reads. */
async function streamtune(args: string[], cwd = ROOT): Promise<{ status: number | null; stdout: string; stderr: string; lines: string[] }> {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('STREAMTUNE_') || k === 'KAFKA_BROKERS') delete env[k];
  const r = await runIn(cwd, args, env);
  return { ...r, lines: r.stderr.split('\n').filter(Boolean) };
}

async function runIn(cwd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  // `node --import tsx` from the repository resolves tsx wherever the CLI runs from.
  return run(process.execPath, ['--import', path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs'), MAIN, ...args], { env, timeoutMs: 90_000, cwd });
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** One line on stderr, exit code 2, no stack trace. */
function expectOneLine(r: { status: number | null; lines: string[] }, re: RegExp): void {
  expect({ status: r.status, lines: r.lines }).toEqual({ status: 2, lines: [expect.stringMatching(re)] });
  expect(r.lines[0]).not.toMatch(/\n\s+at |Resolution note/);
}

describe('streamtune (the CLI) on mistakes and dependencies that do not answer', { timeout: 180_000 }, () => {
  let dir: string;
  let fx: ServingFixture;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'st-cli-'));
    fx = await startServingFixture({ versions: 1 });
  });

  afterAll(async () => {
    await fx?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('a bad flag names the flag and the likely one; an unknown command names the likely one', async () => {
    expectOneLine(await streamtune(['train', '--dataa', 'x.jsonl']), /^streamtune train: unknown option --dataa \(did you mean --data\?\) \(see `streamtune train --help`\)$/);
    expectOneLine(await streamtune(['serve', '--port']), /^streamtune serve: option --port needs a value/);
    expectOneLine(await streamtune(['trian']), /^streamtune: unknown command "trian" \(did you mean train\?\)/);
  });

  it('a file that cannot be read, and no registry or model, say which and what to do', async () => {
    expectOneLine(await streamtune(['train', '--data', path.join(dir, 'missing.jsonl')]), /^streamtune train: cannot read .*missing\.jsonl: no such file or directory$/);
    // No --registry: the default .streamtune/registry of an empty directory has no versions.
    expectOneLine(await streamtune(['report', '--out', path.join(dir, 'report')], dir), /^streamtune report: model "digits" has no versions in \.streamtune\/registry: give the registry the server uses with --registry DIR/);
  });

  it('a server that does not answer: status, models and predict say so in one line', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    for (const args of [['status'], ['models', 'list'], ['predict', '--features', '1,2,3,4']]) {
      expectOneLine(await streamtune([...args, '--address', address]), new RegExp(`^streamtune ${args[0]}: no streamtune server answers at ${address} \\(.+\\): start one with \`streamtune serve\`, or give its address with --address HOST:PORT$`));
    }
  });

  it('a broker that does not answer: produce, learn and label give up after a bounded retry, naming the broker', async () => {
    for (const args of [['produce', path.join(ROOT, 'data', 'digits', 'stream.jsonl')], ['learn', '--registry', path.join(dir, 'none')], ['label', '--port', '0']]) {
      const r = await streamtune([...args, '--brokers', '127.0.0.1:1']);
      expectOneLine(r, new RegExp(`^streamtune ${args[0]}: no Kafka broker answers at 127\\.0\\.0\\.1:1 \\(connection refused\\): start a broker there`));
    }
  });

  it('serve on a port in use names the key and what to do', async () => {
    const base = ['serve', '--registry', fx.dir, '--model', 'm', '--no-learn', '--metrics-port', '0', '--backend', 'cpu'];
    const grpcPort = String(fx.app.grpc!.port);
    const restPort = String(fx.app.grpc!.rest!.port);
    // serve logs its start first; the failure is the last line, exit 2, and no stack trace.
    const lastLine = (r: { status: number | null; lines: string[] }, re: RegExp): void => {
      expect({ status: r.status, last: r.lines.at(-1) }).toEqual({ status: 2, last: expect.stringMatching(re) });
      expect(r.lines.filter((l) => /^\s+at /.test(l))).toEqual([]);
    };
    lastLine(await streamtune([...base, '--port', grpcPort, '--http-port', '0']), new RegExp(`^streamtune serve: invalid configuration "serving\\.port": cannot listen on 127\\.0\\.0\\.1:${grpcPort}: the address is in use .*; choose another port`));
    lastLine(await streamtune([...base, '--port', '0', '--http-port', restPort]), new RegExp(`^streamtune serve: invalid configuration "serving\\.http\\.port": cannot listen on 127\\.0\\.0\\.1:${restPort}`));
  });

  it('admin and models are one command: the same help and actions', async () => {
    const models = await streamtune(['models', '--help']);
    const admin = await streamtune(['admin', '--help']);
    expect(models.status).toBe(0);
    expect(admin.stdout).toBe(models.stdout);
    expect(models.stdout).toMatch(/^Usage: streamtune models \(list \| pin VERSION \| unpin \| rollback/);
    expect((await streamtune(['--help'])).stdout).not.toMatch(/^\s+admin /m);
  });

  it('predict prints a classifier\'s label, confidence and scores, without a regressor\'s value or an empty request id', async () => {
    const r = await streamtune(['predict', '--address', fx.app.grpc!.address, '--features', '1,2,3,4']);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    const answer = JSON.parse(r.stdout) as { model: string; version: string; predictions: Record<string, unknown>[] };
    expect(answer).toMatchObject({ model: 'm', version: 'v1' });
    expect(Object.keys(answer.predictions[0]!).sort()).toEqual(['confidence', 'label', 'scores']);
    expect(r.stdout).not.toMatch(/"value"|"requestId"/);
  });

  it('train writes plain progress lines when stderr is not a terminal (no carriage returns)', async () => {
    const r = await streamtune(['train', '--data', path.join(ROOT, 'data', 'digits', 'base.jsonl'), '--epochs', '3', '--registry', path.join(dir, 'reg'), '--backend', 'cpu']);
    expect({ status: r.status, stderr: r.stderr }).toMatchObject({ status: 0 });
    expect(r.stderr).not.toContain('\r');
    // The first epoch, then at most one line per 5 s, and always the last one.
    const epochs = r.lines.filter((l) => /^epoch \d+\/3 loss /.test(l)).map((l) => l.split(' ')[1]);
    expect(epochs[0]).toBe('1/3');
    expect(epochs.at(-1)).toBe('3/3');
    expect(new Set(epochs).size).toBe(epochs.length);
  });
});
