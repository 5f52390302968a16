/**
 * The outside clients the API tests run, as users run them: grpcurl (Go), NVIDIA's
 * tritonclient (Python), curl, helm. `.ci/run` installs them; a missing one is a test
 * failure that says how to install it, never a skip.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const cacheDir = (): string => process.env.STREAMTUNE_CACHE ?? path.join(os.homedir(), '.cache', 'streamtune');

function found(candidates: string[], versionArgs: string[]): string | undefined {
  return candidates.find((c) => spawnSync(c, versionArgs, { encoding: 'utf8', timeout: 20_000 }).status === 0);
}

/** grpcurl: `GRPCURL_BIN`, else `$(go env GOPATH)/bin/grpcurl` (~/go/bin), else PATH. */
export function grpcurlBin(): string {
  const gopath = spawnSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).stdout?.trim() || path.join(os.homedir(), 'go');
  const candidates = [process.env.GRPCURL_BIN, path.join(gopath, 'bin', 'grpcurl'), path.join(os.homedir(), 'go', 'bin', 'grpcurl'), 'grpcurl'].filter((c): c is string => !!c);
  const bin = found(candidates, ['-version']);
  if (!bin) {
    throw new Error(
      `grpcurl is needed for this test and none of ${candidates.join(', ')} runs: ` +
        'go install github.com/fullstorydev/grpcurl/cmd/grpcurl@latest (as .ci/run does), or set GRPCURL_BIN',
    );
  }
  return bin;
}

/** A Python with tritonclient[http,grpc]: `TRITONCLIENT_PYTHON`, else the venv `.ci/run` makes in the cache. */
export function tritonPython(): string {
  const venv = path.join(cacheDir(), 'tritonclient-venv', 'bin', 'python');
  const candidates = [process.env.TRITONCLIENT_PYTHON, venv].filter((c): c is string => !!c && (c === process.env.TRITONCLIENT_PYTHON || fs.existsSync(c)));
  const py = candidates.find((c) => spawnSync(c, ['-c', 'import tritonclient.http, tritonclient.grpc'], { encoding: 'utf8', timeout: 60_000 }).status === 0);
  if (!py) {
    throw new Error(
      `a Python with tritonclient is needed for this test and ${venv} has none: ` +
        `python3 -m venv ${path.dirname(path.dirname(venv))} && ${path.dirname(venv)}/pip install 'tritonclient[grpc,http]' (as .ci/run does), or set TRITONCLIENT_PYTHON`,
    );
  }
  return py;
}

/** helm (v4): `HELM_BIN`, else where scripts/setup-helm.sh builds it (the cache), else `$(go env GOPATH)/bin`, else PATH. */
export function helmBin(): string {
  const gopath = spawnSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).stdout?.trim() || path.join(os.homedir(), 'go');
  const candidates = [process.env.HELM_BIN, path.join(cacheDir(), 'helm', 'helm'), path.join(gopath, 'bin', 'helm'), 'helm'].filter((c): c is string => !!c);
  const bin = found(candidates, ['version', '--short']);
  if (!bin) throw new Error(`helm is needed for this test and none of ${candidates.join(', ')} runs: bash scripts/setup-helm.sh (as .ci/run does), or set HELM_BIN`);
  return bin;
}

/** Jaeger all-in-one v1.75.0: `JAEGER_BIN`, else the one scripts/setup-jaeger.sh builds into the cache. */
export function jaegerBin(): string {
  const cached = path.join(cacheDir(), 'jaeger', 'jaeger-v1.75.0');
  const candidates = [process.env.JAEGER_BIN, cached].filter((c): c is string => !!c);
  const bin = found(candidates, ['version']);
  if (!bin) {
    throw new Error(`Jaeger is needed for this test and none of ${candidates.join(', ')} runs: bash scripts/setup-jaeger.sh (as .ci/run does; it builds v1.75.0 from the Go module proxy), or set JAEGER_BIN`);
  }
  return bin;
}

/** curl: `CURL_BIN`, else PATH. */
export function curlBin(): string {
  const bin = found([process.env.CURL_BIN ?? 'curl'], ['--version']);
  if (!bin) throw new Error('curl is needed for this test: apt-get install curl (as .ci/run does), or set CURL_BIN');
  return bin;
}

/**
 * Runs a program without blocking the event loop (the server under test runs in
 * this process, so a synchronous spawn would deadlock on it).
 */
export function run(
  file: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/**
 * The commands for `tool` in the ```bash blocks of markdown files (continuation
 * lines joined), so a test can run the commands the documentation shows.
 */
export function documentedCommands(tool: string, files: string[]): { file: string; command: string }[] {
  const out: { file: string; command: string }[] = [];
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    for (const block of text.matchAll(/```bash\n([\s\S]*?)```/g)) {
      const joined = block[1]!.replace(/\\\n\s*/g, ' ');
      for (const line of joined.split('\n')) if (line.trim().startsWith(`${tool} `)) out.push({ file: path.basename(file), command: line.trim() });
    }
  }
  return out;
}
