import type { VersionMeta } from '../../registry/index.js';
import type { ChartMarker } from './time-chart.js';

/** How the trainer's guardrail words the decision it saves with the version it saves at a rollback (promotion-guardrail.ts). */
const ROLLBACK_REASON = /^serving version rolled back/;

/**
 * The markers a version history gives, at each version's creation time: a
 * swap for every promoted version after the first, a rollback where the
 * guardrail rolled serving back (`v5 → v4`: the version it found degraded and
 * the earlier promoted one it went back to), and a rejection for every other
 * candidate the guardrail kept from serving. Operator rollbacks leave no time
 * in the registry; they come from Prometheus (see `buildReport`).
 *
 * @example
 * versionMarkers(metas); // [{ time: 1764331260000, kind: 'swap', label: 'v2' }, …]
 */
export function versionMarkers(metas: readonly VersionMeta[]): ChartMarker[] {
  const byVersion = new Map(metas.map((m) => [m.version, m]));
  const promoted = (m: VersionMeta | undefined): boolean => m !== undefined && m.promotion?.promoted !== false;
  const previousPromoted = (version: string): string | null => {
    let v = byVersion.get(version)?.parent ?? null;
    while (v && !promoted(byVersion.get(v))) v = byVersion.get(v)?.parent ?? null;
    return v;
  };
  const out: ChartMarker[] = [];
  let first = true;
  for (const m of metas) {
    const time = Date.parse(m.createdAt);
    if (promoted(m)) {
      if (!first) out.push({ time, kind: 'swap', label: m.version });
      first = false;
    } else if (ROLLBACK_REASON.test(m.promotion?.reason ?? '') && m.promotion?.servingVersion) {
      const from = m.promotion.servingVersion;
      const to = previousPromoted(from);
      out.push({ time, kind: 'rollback', label: to ? `${from} → ${to}` : `${from} rolled back` });
    } else {
      out.push({ time, kind: 'rejected', label: m.version });
    }
  }
  return out;
}
