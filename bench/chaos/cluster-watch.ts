/**
 * What the cluster topology of bench:chaos watches: which trainer of the group
 * owns the labels partition, which broker leads a partition, whether every
 * replica is back in sync after a broker restart, and the trainers' log lines
 * (the checkpoints they committed, the writes the broker refused them).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import kafkajs, { type Kafka } from 'kafkajs';

/**
 * The client id of the group member that holds partition 0 of `topic`; null
 * while the group rebalances or nobody holds it.
 */
export async function partitionOwner(kafka: Kafka, groupId: string, topic: string): Promise<{ owner: string | null; members: number }> {
  // kafkajs is CommonJS: Node sees this export on its default object only.
  const { AssignerProtocol } = kafkajs;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const group = (await admin.describeGroups([groupId])).groups[0];
    if (!group || group.state !== 'Stable') return { owner: null, members: group?.members.length ?? 0 };
    for (const m of group.members) {
      const a = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
      if (a?.assignment[topic]?.includes(0)) return { owner: m.clientId, members: group.members.length };
    }
    return { owner: null, members: group.members.length };
  } finally {
    await admin.disconnect();
  }
}

/** The node id (scripts/kafka.sh's node number) of the broker leading partition 0 of `topic`. */
export async function leaderOf(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0]!.partitions.find((p) => p.partitionId === 0)!.leader;
  } finally {
    await admin.disconnect();
  }
}

/** Whether every partition of every topic (the internal ones too) has all its replicas in sync. */
export async function allInSync(kafka: Kafka): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata();
    return topics.every((t) => t.partitions.every((p) => p.isr.length === p.replicas.length));
  } finally {
    await admin.disconnect();
  }
}

export interface Checkpoint {
  trainer: string;
  version: string;
  /** The next offset of the labels partition: the checkpoint learned every event below it. */
  offset: number;
  /** When the benchmark read the line. */
  at: number;
}

const CHECKPOINT = /^checkpoint ([^@\s]+)@(v\d+): \d+ examples, offsets (\{.*\})$/;
/** What a trainer's log says when the broker refused its write, or when it tried to write for a partition it no longer owns. */
const FENCED = /belongs to another trainer now|is not this trainer's|fenced/i;

/**
 * Follows the log files of `streamtune learn` processes (JSON lines, one file
 * each): the checkpoints they report (in registry.mode kafka, only once their
 * transaction committed) and the fenced writes.
 */
export class TrainerLogs {
  readonly checkpoints: Checkpoint[] = [];
  readonly fences: { trainer: string; at: number; line: string }[] = [];
  private readonly files = new Map<string, { pos: number; rest: string }>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly dir: string,
    trainers: readonly string[],
    /** `<labelsTopic>/0`: the offsets key of the labels partition. */
    private readonly offsetsKey: string,
  ) {
    for (const t of trainers) this.files.set(t, { pos: 0, rest: '' });
    this.timer = setInterval(() => this.poll(), 200);
  }

  /** Reads what the logs gained since the last call (also called every 200 ms). */
  poll(): void {
    for (const [trainer, f] of this.files) {
      const file = path.join(this.dir, `trainer-${trainer}.log`);
      let size: number;
      try {
        size = fs.statSync(file).size;
      } catch {
        continue;
      }
      if (size <= f.pos) continue;
      const fd = fs.openSync(file, 'r');
      const buf = Buffer.alloc(size - f.pos);
      fs.readSync(fd, buf, 0, buf.length, f.pos);
      fs.closeSync(fd);
      f.pos = size;
      const lines = (f.rest + buf.toString()).split('\n');
      f.rest = lines.pop()!;
      for (const line of lines) this.line(trainer, line);
    }
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** The newest offset a checkpoint reported covers, and since when. */
  newest(): Checkpoint | undefined {
    return this.checkpoints.reduce<Checkpoint | undefined>((a, c) => (!a || c.offset > a.offset ? c : a), undefined);
  }

  private line(trainer: string, line: string): void {
    let msg: string;
    try {
      msg = String((JSON.parse(line) as { msg?: unknown }).msg ?? '');
    } catch {
      msg = line;
    }
    const now = Date.now();
    const m = CHECKPOINT.exec(msg);
    if (m) {
      const offset = (JSON.parse(m[3]!) as Record<string, string>)[this.offsetsKey];
      if (offset !== undefined) this.checkpoints.push({ trainer, version: m[2]!, offset: Number(offset), at: now });
    } else if (FENCED.test(msg)) this.fences.push({ trainer, at: now, line: msg.slice(0, 200) });
  }
}
