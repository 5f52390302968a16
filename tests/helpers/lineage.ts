import { expect } from 'vitest';
import type { VersionMeta, VersionStore } from '../../src/registry/index.js';

/** The chain of versions from the newest back to the base, newest first. */
export async function lineage(store: VersionStore, model: string): Promise<VersionMeta[]> {
  const out: VersionMeta[] = [];
  let v: string | null = await store.newest(model);
  while (v) {
    const meta = await store.meta(model, v);
    out.push(meta);
    v = meta.parent;
  }
  return out;
}

/**
 * Checks every step of the lineage learned exactly the events between its
 * parent's offsets and its own (`key` = `topic/partition`), and that the newest
 * version covers `total` events: none lost, none learned twice.
 */
export function expectExactlyOnce(chain: VersionMeta[], key: string, total: number): void {
  let sum = 0;
  for (let i = 0; i < chain.length - 1; i++) {
    const [v, parent] = [chain[i]!, chain[i + 1]!];
    const learned = v.examplesSeen - parent.examplesSeen;
    const span = Number(v.offsets[key] ?? 0) - Number(parent.offsets[key] ?? 0);
    expect({ version: v.version, learned }).toEqual({ version: v.version, learned: span });
    expect(learned).toBeGreaterThan(0);
    sum += learned;
  }
  expect(sum).toBe(total);
  expect(chain[0]!.examplesSeen).toBe(total);
  expect(chain[0]!.offsets[key]).toBe(String(total));
}
