import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Files of a throwaway certificate authority, as a Kafka operator would hand them out. */
export interface TestPki {
  /** The CA that signed the broker's and the client's certificates (PEM). */
  caFile: string;
  /** A CA that signed nothing here: trusting only it, a client refuses the broker. */
  otherCaFile: string;
  /** The client's certificate and key (PEM), for mTLS. */
  clientCertFile: string;
  clientKeyFile: string;
  /** The broker's key and certificate chain (PKCS12), named 127.0.0.1 and localhost; with `keystores`. */
  keystore: string;
  /** The CA as a PKCS12 truststore, for the broker; with `keystores`. */
  truststore: string;
  /** Password of both stores. */
  storePassword: string;
}

const openssl = (dir: string, ...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });

/** Makes a CA key and self-signed certificate `name`.pem. */
function ca(dir: string, name: string): void {
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=streamtune test ${name}`);
}

/** Makes `name`.key and `name`.pem signed by ca.pem, with the given X.509 extensions. */
function leaf(dir: string, name: string, cn: string, extensions: string): void {
  fs.writeFileSync(path.join(dir, `${name}.ext`), extensions);
  openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
  openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
}

/**
 * A CA, a client certificate and (with `keystores`) a broker keystore and
 * truststore, in `dir`: openssl for the keys and certificates, the JDK's keytool
 * for the truststore (Java trusts only certificates keytool marks as trusted).
 */
export function makeTestPki(dir: string, opts: { keystores?: boolean } = {}): TestPki {
  const storePassword = 'test-store-password';
  ca(dir, 'ca');
  ca(dir, 'other-ca');
  leaf(dir, 'client', 'streamtune', 'extendedKeyUsage=clientAuth\n');
  const pki: TestPki = {
    caFile: path.join(dir, 'ca.pem'),
    otherCaFile: path.join(dir, 'other-ca.pem'),
    clientCertFile: path.join(dir, 'client.pem'),
    clientKeyFile: path.join(dir, 'client.key'),
    keystore: path.join(dir, 'broker.p12'),
    truststore: path.join(dir, 'truststore.p12'),
    storePassword,
  };
  if (!opts.keystores) return pki;
  // Brokers connect to each other by 127.0.0.1, and present this certificate as clients too (mTLS).
  leaf(dir, 'broker', '127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  openssl(dir, 'pkcs12', '-export', '-in', 'broker.pem', '-inkey', 'broker.key', '-certfile', 'ca.pem', '-name', 'broker', '-out', 'broker.p12', '-passout', `pass:${storePassword}`);
  execFileSync('keytool', ['-importcert', '-noprompt', '-alias', 'ca', '-file', 'ca.pem', '-keystore', 'truststore.p12', '-storetype', 'PKCS12', '-storepass', storePassword], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  return pki;
}
