import { ALL_FIELD, NOT_SET_VALUE } from '../crm/demography-rollup';
import { sketchCount, sketchMergeBytes, sketchNew, type DistinctSketch } from '../crm/distinct-sketch';
import { ageBandOf, type ProfileSchema } from '../subscribers/profile-schema';
import { NOT_SET, profileGrouping, type ProfileGrouping } from './profile-groups';
import type { ReportRange } from './range';
import type { UsageStore } from './stores/usage-store';

/** One group's usage in the range, summed from crm_usage_profile_daily. */
export interface GroupUsage {
  visits: number;
  sessions: number;
  contentSessions: number;
  subscribers: DistinctSketch;
}

/** A profile grouping read from the daily rollups: the stored field and how a stored value maps to its group. */
export interface RollupGrouping extends ProfileGrouping {
  stored: string;
  label(value: string): string;
}

/** The grouping of `field` over the rollups; 400 (from profileGrouping) for an unknown field. */
export function rollupGrouping(schema: Pick<ProfileSchema, 'field' | 'names'>, field: string, r: ReportRange, extra: readonly string[] = []): RollupGrouping {
  const g = profileGrouping(schema, field, extra);
  if (field !== 'ageBand') return { ...g, stored: field, label: (v) => (v === NOT_SET_VALUE ? NOT_SET : v) };
  // Ages are as of the range's end year, as the SQL grouping had them.
  const endYear = new Date(r.to).getUTCFullYear();
  return {
    ...g,
    stored: 'birthYear',
    label: (v) => {
      const year = Number(v);
      return v === NOT_SET_VALUE || !Number.isFinite(year) ? NOT_SET : ageBandOf(endYear - year);
    },
  };
}

const blank = (): GroupUsage => ({ visits: 0, sessions: 0, contentSessions: 0, subscribers: sketchNew() });

/** Usage per group of `g` and in total (every visit once), over the report range. */
export async function groupUsage(store: UsageStore, r: ReportRange, g: RollupGrouping): Promise<{ groups: Map<string, GroupUsage>; total: GroupUsage }> {
  const rows = await store.byProfile(r, g.stored, ALL_FIELD);
  const groups = new Map<string, GroupUsage>();
  const total = blank();
  for (const [field, value, visits, sessions, content, subs] of rows) {
    let a: GroupUsage | undefined = total;
    if (field !== ALL_FIELD) {
      const label = g.label(value);
      a = groups.get(label);
      if (!a) groups.set(label, (a = blank()));
    }
    a.visits += visits;
    a.sessions += sessions;
    a.contentSessions += content;
    sketchMergeBytes(a.subscribers, new Uint8Array(subs.buffer, subs.byteOffset, subs.byteLength));
  }
  return { groups, total };
}

/** Visits that reached each content node per group of `g` (key flow \0 node), and in total. */
export async function contentReach(store: UsageStore, r: ReportRange, g: RollupGrouping): Promise<{ byContent: Map<string, Map<string, number>>; totals: Map<string, number> }> {
  const rows = await store.contentReach(r, g.stored, ALL_FIELD);
  const byContent = new Map<string, Map<string, number>>();
  const totals = new Map<string, number>();
  for (const [field, value, flowId, nodeId, visits] of rows) {
    const k = `${flowId}\u0000${nodeId}`;
    if (field === ALL_FIELD) {
      totals.set(k, (totals.get(k) ?? 0) + visits);
      continue;
    }
    let m = byContent.get(k);
    if (!m) byContent.set(k, (m = new Map<string, number>()));
    const label = g.label(value);
    m.set(label, (m.get(label) ?? 0) + visits);
  }
  return { byContent, totals };
}

/** Count of a sketch (exact while a group is small, ~3% error past a few hundred subscribers). */
export const distinct = (s: DistinctSketch): number => sketchCount(s);
