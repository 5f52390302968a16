import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainerLaunch, trainerOverrides } from '../../src/app/trainer-secrets.js';
import { ConfigError, loadConfig } from '../../src/core/index.js';
import { brokerFailure, kafkaSecurity } from '../../src/ingest/index.js';
import { makeTestPki, type TestPki } from '../helpers/test-pki.js';

const SRC = path.resolve(import.meta.dirname, '..', '..', 'src');

/** The message of the ConfigError `f` throws. */
function configError(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('kafka.ssl and kafka.sasl', () => {
  let dir: string;
  let pki: TestPki;
  let passwordFile: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'st-kafka-sec-'));
    pki = makeTestPki(dir);
    passwordFile = path.join(dir, 'password');
    fs.writeFileSync(passwordFile, 's3cret-from-file\n', { mode: 0o600 });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('come from the config file or the environment; TLS is on when kafka.ssl is there', () => {
    const c = loadConfig({
      env: {
        KAFKA_BROKERS: 'k:9093',
        STREAMTUNE_KAFKA_CA_FILE: pki.caFile,
        STREAMTUNE_KAFKA_CERT_FILE: pki.clientCertFile,
        STREAMTUNE_KAFKA_KEY_FILE: pki.clientKeyFile,
        STREAMTUNE_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        STREAMTUNE_KAFKA_SASL_USERNAME: 'alice',
        STREAMTUNE_KAFKA_SASL_PASSWORD_FILE: passwordFile,
      },
    });
    expect(c.kafka.ssl).toEqual({ enabled: true, caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile, rejectUnauthorized: true });
    // Kafka's own spelling of the mechanism is taken, and kafkajs's used.
    expect(c.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'alice', passwordFile });
    expect(loadConfig({ env: { STREAMTUNE_KAFKA_SSL: '1' } }).kafka.ssl).toEqual({ enabled: true, rejectUnauthorized: true });
    expect(loadConfig({ overrides: { kafka: { ssl: {} } }, env: { STREAMTUNE_KAFKA_SSL: '0' } }).kafka.ssl?.enabled).toBe(false);
    expect(loadConfig().kafka.ssl).toBeUndefined();
    expect(loadConfig().kafka.sasl).toBeUndefined();
  });

  it('bad settings fail at start naming the key', () => {
    const sasl = { mechanism: 'plain', username: 'alice' };
    expect(configError(() => loadConfig({ overrides: { kafka: { sasl } } }))).toMatch(/^invalid configuration "kafka\.sasl\.passwordFile": give the password/);
    expect(configError(() => loadConfig({ overrides: { kafka: { sasl: { ...sasl, password: 'a', passwordFile } } } }))).toMatch(/"kafka\.sasl\.password": give password or passwordFile, not both/);
    expect(configError(() => loadConfig({ overrides: { kafka: { sasl: { ...sasl, mechanism: 'gssapi', password: 'a' } } } }))).toMatch(/"kafka\.sasl\.mechanism"/);
    expect(configError(() => loadConfig({ overrides: { kafka: { ssl: { certFile: pki.clientCertFile } } } }))).toMatch(/"kafka\.ssl\.keyFile": a client certificate needs both/);
    expect(configError(() => loadConfig({ overrides: { kafka: { ssl: { ca: pki.caFile } } } }))).toMatch(/"kafka\.ssl"/);
  });

  it('files are read when a client is made; one that cannot be used names its key, never its content', () => {
    const conn = (ssl: object, s: object = { mechanism: 'scram-sha-256', username: 'alice', passwordFile }) => loadConfig({ overrides: { kafka: { brokers: ['k:1'], ssl, sasl: s } } }).kafka;
    const opts = kafkaSecurity(conn({ caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile }));
    expect(opts.ssl).toMatchObject({ rejectUnauthorized: true, ca: fs.readFileSync(pki.caFile), cert: fs.readFileSync(pki.clientCertFile), key: fs.readFileSync(pki.clientKeyFile) });
    // The newline that ends the file is not part of the password.
    expect(opts.sasl).toEqual({ mechanism: 'scram-sha-256', username: 'alice', password: 's3cret-from-file' });

    const missing = path.join(dir, 'missing.pem');
    expect(configError(() => kafkaSecurity(conn({ caFile: missing })))).toBe(`invalid configuration "kafka.ssl.caFile": cannot read ${missing}: no such file or directory`);
    expect(configError(() => kafkaSecurity(conn({ caFile: pki.clientKeyFile })))).toMatch(/"kafka\.ssl\.caFile": .* holds no PEM certificate$/);
    const other = path.join(dir, 'other-ca.key');
    const mismatch = configError(() => kafkaSecurity(conn({ certFile: pki.clientCertFile, keyFile: other })));
    expect(mismatch).toMatch(/"kafka\.ssl\.keyFile": .*client\.pem with .*other-ca\.key is not usable: .*key values mismatch/);
    expect(mismatch).not.toContain('PRIVATE KEY');
    const empty = path.join(dir, 'empty');
    fs.writeFileSync(empty, '\n');
    expect(configError(() => kafkaSecurity(conn({}, { mechanism: 'plain', username: 'a', passwordFile: empty })))).toMatch(/"kafka\.sasl\.passwordFile": .* is empty$/);
  });

  it('the trainer gets no secret in its environment: an inline password is handed over on request, a file as its path', async () => {
    const config = loadConfig({ overrides: { kafka: { brokers: ['k:1'], sasl: { mechanism: 'plain', username: 'alice', password: 'inline-s3cret' } }, serving: { adminToken: 'admin-s3cret' } } });
    const { env, secrets } = trainerLaunch(config, { PATH: '/bin', STREAMTUNE_KAFKA_SASL_PASSWORD: 'inline-s3cret', STREAMTUNE_ADMIN_TOKEN: 'admin-s3cret' });
    expect(Object.values(env).join('\n')).not.toMatch(/s3cret/);
    expect(env.PATH).toBe('/bin');
    expect(secrets).toEqual({ kafkaSaslPassword: 'inline-s3cret' });
    const overrides = await trainerOverrides(env, async () => secrets);
    expect(loadConfig({ overrides }).kafka.sasl).toEqual(config.kafka.sasl);

    const fromFile = loadConfig({ overrides: { kafka: { brokers: ['k:1'], sasl: { mechanism: 'plain', username: 'alice', passwordFile } } } });
    const launch = trainerLaunch(fromFile, {});
    expect(launch.secrets).toEqual({});
    const ask = async (): Promise<never> => {
      throw new Error('nothing to ask for');
    };
    expect(loadConfig({ overrides: await trainerOverrides(launch.env, ask) }).kafka.sasl).toEqual(fromFile.kafka.sasl);
  });

  it('every Kafka client in src is made from the configured connection (brokers with ssl and sasl), not a bare broker list', () => {
    const offenders: string[] = [];
    for (const rel of fs.readdirSync(SRC, { recursive: true }) as string[]) {
      if (!rel.endsWith('.ts')) continue;
      const text = fs.readFileSync(path.join(SRC, rel), 'utf8').replace(/^\s*(\*|\/\/).*$/gm, '');
      // The two factories; the demo runs on the local broker, which is plaintext.
      if (/ingest\/(kafka-client|check-brokers)\.ts$/.test(rel) || rel.endsWith('app/demo.ts')) continue;
      for (const m of text.matchAll(/(createKafka|checkBrokers|usableBrokers)\(\s*[\w.!?]*\.brokers\b|new Kafka\(/g)) offenders.push(`${rel}: ${m[0]}`);
    }
    expect(offenders).toEqual([]);
  });

  it('a failed connection says whether the broker was unreachable or refused us, and what to change', () => {
    const sasl = loadConfig({ overrides: { kafka: { brokers: ['k:1'], ssl: {}, sasl: { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 'x' } } } }).kafka;
    const sslOnly = { brokers: ['k:1'], ssl: { enabled: true, rejectUnauthorized: true } };
    const named = (name: string, message: string, extra: object = {}) => Object.assign(new Error(message), { name }, extra);
    expect(brokerFailure(named('KafkaJSSASLAuthenticationError', 'SASL SCRAM SHA512 authentication failed: invalid credentials'), sasl)).toMatchObject({
      reason: 'login refused',
      security: true,
      detail: 'refused the SASL SCRAM-SHA-512 login of "alice": wrong username or password',
    });
    const untrusted = named('KafkaJSNumberOfRetriesExceeded', 'Connection error: self-signed certificate in certificate chain', { cause: named('KafkaJSConnectionError', 'Connection error: self-signed certificate in certificate chain', { broker: 'k:1' }) });
    expect(brokerFailure(untrusted, sslOnly)).toMatchObject({ reason: 'certificate not trusted', security: true, broker: 'k:1', detail: expect.stringMatching(/^is not trusted \(self-signed certificate in certificate chain\): set kafka\.ssl\.caFile/) });
    expect(brokerFailure(named('KafkaJSConnectionError', 'Connection error: 80EC:error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:../x.c:1601:SSL alert number 42'), sslOnly)).toMatchObject({
      reason: 'TLS handshake refused',
      detail: expect.stringMatching(/^refused the TLS handshake \(bad certificate\): give a client certificate/),
    });
    expect(brokerFailure(named('KafkaJSConnectionClosedError', 'Closed connection'), { brokers: ['k:1'] })).toMatchObject({ reason: 'connection closed', security: false, detail: 'closed the connection (does its listener want TLS (kafka.ssl) or a SASL login (kafka.sasl)?)' });
    expect(brokerFailure(named('KafkaJSConnectionError', 'Connection error: connect ECONNREFUSED 127.0.0.1:1'), sasl)).toMatchObject({ reason: 'connection refused', security: false });
  });
});
