/** One Kafka record as the pipeline sees it, before decoding. */
export interface RawRecord {
  topic: string;
  partition: number;
  /** Kafka offset (int64 as a decimal string). */
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /** Broker or producer timestamp, ms since the epoch, as a string. */
  timestamp: string;
  /** The W3C `traceparent` header the producer set (OpenTelemetry), when it set one. */
  traceparent?: string;
  /** The W3C `tracestate` header beside it. */
  tracestate?: string;
}

/** A Kafka header's value as a string (kafkajs gives a Buffer, or an array when repeated: the first counts). */
export function headerText(headers: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined, name: string): string | undefined {
  const v = headers?.[name];
  const one = Array.isArray(v) ? v[0] : v;
  return one === undefined ? undefined : one.toString();
}

/** `topic/partition`: the key of offset maps saved with versions. */
export const tpKey = (topic: string, partition: number): string => `${topic}/${partition}`;

/** Inverse of {@link tpKey} (topic names may contain `/`; the partition is after the last one). */
export function parseTpKey(key: string): { topic: string; partition: number } {
  const i = key.lastIndexOf('/');
  return { topic: key.slice(0, i), partition: Number(key.slice(i + 1)) };
}
