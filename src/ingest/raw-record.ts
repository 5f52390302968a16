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
}

/** `topic/partition`: the key of offset maps saved with versions. */
export const tpKey = (topic: string, partition: number): string => `${topic}/${partition}`;

/** Inverse of {@link tpKey} (topic names may contain `/`; the partition is after the last one). */
export function parseTpKey(key: string): { topic: string; partition: number } {
  const i = key.lastIndexOf('/');
  return { topic: key.slice(0, i), partition: Number(key.slice(i + 1)) };
}
