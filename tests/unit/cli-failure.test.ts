import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { answer } from '../../src/cli/commands/predict.js';
import { closest, describeFailure, serverCallError, UsageError } from '../../src/cli/cli-failure.js';
import { BrokerError, ConfigError } from '../../src/core/index.js';

describe('CLI failures', () => {
  it('a streamtune error is one line and exit 2; usage and config errors point at --help', () => {
    expect(describeFailure(new UsageError('unknown option --x'), 'train')).toEqual({ line: 'streamtune train: unknown option --x (see `streamtune train --help`)', exitCode: 2 });
    expect(describeFailure(new ConfigError('--data', 'a JSONL file is required'), 'train').line).toBe('streamtune train: invalid configuration "--data": a JSONL file is required (see `streamtune train --help`)');
    expect(describeFailure(new BrokerError('no Kafka broker answers at h:1 (connection refused)'), 'produce')).toEqual({ line: 'streamtune produce: no Kafka broker answers at h:1 (connection refused)', exitCode: 2 });
  });

  it('a file the system cannot read is one line and exit 2; anything else is a bug: the stack and exit 1', () => {
    const enoent = Object.assign(new Error("ENOENT: no such file or directory, open 'x.jsonl'"), { code: 'ENOENT', path: 'x.jsonl' });
    expect(describeFailure(enoent, 'plan')).toEqual({ line: 'streamtune plan: cannot read x.jsonl: no such file or directory', exitCode: 2 });
    const bug = describeFailure(new TypeError('x is undefined'), 'plan');
    expect(bug.exitCode).toBe(1);
    expect(bug.line).toMatch(/TypeError: x is undefined\n\s+at /);
  });

  it('gRPC failures name the server and what to do; a status the server chose keeps its message', () => {
    const unavailable = { code: grpc.status.UNAVAILABLE, details: 'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:50051. Resolution note: ' };
    expect((serverCallError(unavailable, '127.0.0.1:50051') as Error).message).toBe(
      'no streamtune server answers at 127.0.0.1:50051 (connection refused): start one with `streamtune serve`, or give its address with --address HOST:PORT',
    );
    expect((serverCallError({ code: grpc.status.UNAUTHENTICATED, details: 'missing bearer token' }, 'h:1') as Error).message).toMatch(/set STREAMTUNE_ADMIN_TOKEN/);
    expect((serverCallError({ code: grpc.status.NOT_FOUND, details: 'model "m" has no version "v9"' }, 'h:1') as Error).message).toBe('h:1 answered NOT_FOUND: model "m" has no version "v9"');
    const plain = new Error('not grpc');
    expect(serverCallError(plain, 'h:1')).toBe(plain);
  });

  it('suggests the nearest name for a typo, and nothing for a stranger', () => {
    expect(closest('dataa', ['data', 'holdout', 'epochs'])).toBe('data');
    expect(closest('trian', ['train', 'serve', 'learn'])).toBe('train');
    expect(closest('zzzzzz', ['data', 'holdout'])).toBeUndefined();
  });

  it('predict keeps the fields a task sets: label, confidence, scores for a classifier; value for a regressor', () => {
    const res = (p: object) => answer({ model: 'm', version: 'v1', requestId: '', predictions: [{ label: '', confidence: 0, scores: {}, value: 0, ...p }] });
    expect(res({ label: 'a', confidence: 0.9, scores: { a: 0.9, b: 0.1 } }).predictions).toEqual([{ label: 'a', confidence: 0.9, scores: { a: 0.9, b: 0.1 } }]);
    expect(res({ value: 3.5 })).toEqual({ model: 'm', version: 'v1', predictions: [{ value: 3.5 }] });
    // A logged call's prediction id is kept (empty, when not logged: left out).
    expect(res({ value: 3.5, predictionId: 'p-1' }).predictions).toEqual([{ value: 3.5, predictionId: 'p-1' }]);
    expect(res({ value: 3.5, predictionId: '' }).predictions).toEqual([{ value: 3.5 }]);
  });
});
