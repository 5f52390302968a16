import type { KafkaConnection } from './kafka-security.js';

/** Why a connection to the brokers failed, for a one-line error. */
export interface BrokerFailure {
  /** A few words: `connection refused`, `login refused`, `certificate not trusted`, … */
  reason: string;
  /** The broker answered, but TLS or SASL failed: the same settings fail the same way. */
  security: boolean;
  /** What the line says after the broker's name. */
  detail: string;
  /** The broker that failed when the error says, else undefined. */
  broker?: string;
}

/** Messages and names of an error and the errors it wraps (kafkajs nests them in `cause` and `originalError`). */
function chain(err: unknown): { text: string; names: string[]; broker?: string } {
  const seen: { message?: string; name?: string; broker?: string }[] = [];
  let e = err as { message?: string; name?: string; broker?: string; cause?: unknown; originalError?: unknown } | undefined;
  for (let i = 0; e && i < 5; i++) {
    seen.push(e);
    e = (e.cause ?? e.originalError) as typeof e;
  }
  return { text: seen.map((s) => s.message ?? '').join(' | '), names: seen.map((s) => s.name ?? ''), broker: seen.find((s) => typeof s.broker === 'string')?.broker };
}

const UNTRUSTED = /self[- ]signed certificate( in certificate chain)?|unable to verify( the first certificate)?|unable to get (local )?issuer certificate( locally)?|certificate has expired|certificate is not yet valid|does not match certificate's altnames|certificate signature failure/i;

/**
 * Classifies a failed connection or request to the brokers: unreachable
 * (`connection refused`, `unknown host`, `no answer in time`) or a security
 * failure, with what to change. Never quotes a secret (kafkajs errors hold none).
 *
 * @example
 * brokerFailure(err, config.kafka).detail; // 'refused the SASL SCRAM-SHA-512 login of "alice": wrong username or password'
 */
export function brokerFailure(err: unknown, connection: KafkaConnection): BrokerFailure {
  const { text, names, broker } = chain(err);
  const { ssl, sasl } = connection;
  const mech = sasl?.mechanism.toUpperCase();
  const security = (reason: string, detail: string): BrokerFailure => ({ reason, security: true, detail, broker });
  const plain = (reason: string): BrokerFailure => ({ reason, security: false, detail: `unreachable: ${(err as Error)?.message ?? String(err)}`, broker });

  if (/mechanism is not supported by the server/.test(text)) return security('mechanism not offered', `does not offer SASL ${mech}: set kafka.sasl.mechanism to one its listener enables`);
  if (names.includes('KafkaJSSASLAuthenticationError') || /SASL .*authentication failed/i.test(text)) {
    return security('login refused', `refused the SASL ${mech} login of "${sasl?.username}": wrong username or password`);
  }
  const untrusted = UNTRUSTED.exec(text);
  if (untrusted) {
    const why = untrusted[0].toLowerCase();
    const fix = /altnames/.test(why) ? 'its certificate must name the address you connect to' : 'set kafka.ssl.caFile (STREAMTUNE_KAFKA_CA_FILE) to the CA that signed its certificate';
    return security('certificate not trusted', `is not trusted (${why}): ${fix}`);
  }
  const alert = /alert ([a-z ]+?)(?::|$| \()/i.exec(text);
  if (alert) {
    return security('TLS handshake refused', `refused the TLS handshake (${alert[1]!.trim()}): give a client certificate it trusts in kafka.ssl.certFile and kafka.ssl.keyFile`);
  }
  if (ssl?.enabled && /before secure TLS connection was established|wrong version number|packet length too long/i.test(text)) {
    return security('no TLS handshake', 'does not speak TLS on this port: remove kafka.ssl, or use the port of its TLS listener');
  }
  if (/Closed connection|Connection closed by the server/i.test(text)) {
    // A listener that wants TLS or SASL hangs up on a client without them; so does a broker that shuts down.
    const wanted = [ssl?.enabled ? '' : 'TLS (kafka.ssl)', sasl ? '' : 'a SASL login (kafka.sasl)'].filter(Boolean).join(' or ');
    return { reason: 'connection closed', security: false, detail: `closed the connection${wanted ? ` (does its listener want ${wanted}?)` : ''}`, broker };
  }
  if (/ECONNREFUSED/.test(text)) return plain('connection refused');
  if (/ENOTFOUND|EAI_AGAIN/.test(text)) return plain('unknown host');
  if (/timeout|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH/i.test(text)) return plain('no answer in time');
  return plain((err as Error)?.message ?? String(err));
}
