import { hllCount, hllMerge, hllNew } from '../crm/hll';
import { badRequest } from '../lib/errors';
import type { ProfileSchema } from '../subscribers/profile-schema';
import { EXACT_MAX } from '../crm/distinct-sketch';
import { NOT_SET, sortGroups } from './profile-groups';
import { distinct, groupUsage, rollupGrouping } from './profile-rollup';

import { rate, type ReportRange } from './range';
import type { SnapshotStore } from './stores/snapshot-store';
import type { UsageStore } from './stores/usage-store';

export const USAGE_DIMS = ['region', 'crop', 'language', 'operator'] as const;

/**
 * Is the service reaching farmers? Usage by region, crop, language or operator: distinct subscribers
 * active in the range (HyperLogLog union of the daily sketches, ~3% error), sessions, share reaching
 * content and stuck sessions, next to how many registered subscribers each value has. Any other typed
 * profile field (gender, birthYear, crops, ...) or `ageBand` is counted exactly by one grouped query.
 */
export async function usageReport(stores: { usage: UsageStore; snapshots: SnapshotStore }, r: ReportRange, by: string | undefined, schema?: Pick<ProfileSchema, 'field' | 'names'>): Promise<Record<string, unknown>> {
  const dim = by ?? 'region';
  if (!(USAGE_DIMS as readonly string[]).includes(dim)) {
    if (!schema) throw badRequest('INVALID_DIMENSION', `by must be one of ${USAGE_DIMS.join(', ')}.`);
    return usageByProfile(stores, r, dim, schema);
  }
  const rows = await stores.usage.byDimension(r, dim);
  const acc = new Map<string, { sessions: number; content: number; stuck: number; hll: Uint8Array }>();
  const all = hllNew();
  for (const row of rows) {
    let a = acc.get(row.value);
    if (!a) acc.set(row.value, (a = { sessions: 0, content: 0, stuck: 0, hll: hllNew() }));
    a.sessions += row.sessions;
    a.content += row.contentSessions;
    a.stuck += row.stuckSessions;
    const regs = new Uint8Array(row.subscribers.buffer, row.subscribers.byteOffset, row.subscribers.byteLength);
    hllMerge(a.hll, regs);
    hllMerge(all, regs);
  }
  const reach = await stores.snapshots.latest('reach');
  const registered = reach ? ((reach.data as Record<string, Record<string, number>>)[dim] ?? {}) : {};
  const values = [...acc]
    .map(([value, a]) => {
      const active = hllCount(a.hll);
      return {
        value,
        activeSubscribers: active,
        registeredSubscribers: registered[value] ?? null,
        reachRate: registered[value] ? rate(Math.min(active, registered[value]!), registered[value]!) : null,
        sessions: a.sessions,
        contentRate: rate(a.content, a.sessions),
        stuckSessions: a.stuck,
        stuckRate: rate(a.stuck, a.sessions),
      };
    })
    .sort((x, y) => y.activeSubscribers - x.activeSubscribers || x.value.localeCompare(y.value));
  return { by: dim, activeSubscribers: hllCount(all), values, note: 'activeSubscribers is a distinct count estimate (about 3% error); registeredSubscribers is as of the last daily snapshot.' };
}

/**
 * Usage by a typed profile field: active subscribers (a visit in the range: a session, or content sent
 * outside one), sessions and the share of sessions reaching content, from the daily profile rollups the
 * CRM pass keeps; registered subscribers per group as of now. Stuck sessions are classified per rollup
 * dimension only.
 */
async function usageByProfile(stores: { usage: UsageStore; snapshots: SnapshotStore }, r: ReportRange, field: string, schema: Pick<ProfileSchema, 'field' | 'names'>): Promise<Record<string, unknown>> {
  const g = rollupGrouping(schema, field, r, USAGE_DIMS);
  const usage = await groupUsage(stores.usage, r, g);
  // Registered per value as of the last daily snapshot (taken by the CRM pass), grouped like the rollups.
  const snap = await stores.snapshots.latest('profile_reach');
  const byValue = snap ? ((snap.data as Record<string, Record<string, number>>)[g.stored] ?? {}) : {};
  const registered = new Map<string, number>();
  for (const [value, n] of Object.entries(byValue)) registered.set(g.label(value), (registered.get(g.label(value)) ?? 0) + n);
  const values = sortGroups(
    [...usage.groups].map(([value, u]) => {
      const active = distinct(u.subscribers);
      const reg = registered.get(value) ?? 0;
      return {
        value,
        size: active,
        activeSubscribers: active,
        registeredSubscribers: reg,
        reachRate: rate(Math.min(active, reg), reg),
        sessions: u.sessions,
        contentRate: rate(u.contentSessions, u.sessions),
        stuckSessions: null,
        stuckRate: null,
      };
    }),
    g.order,
  ).map(({ size: _size, ...v }) => v);
  return {
    by: field,
    activeSubscribers: distinct(usage.total.subscribers),
    values,
    note:
      `activeSubscribers are distinct subscribers with a session or content in the range (exact while a group has at most ${EXACT_MAX} a day, else within about 3%), ` +
      `grouped by their ${field} as it was when the CRM pass counted the visit` +
      (g.overlapping ? ` (${field} is a list: a subscriber is counted in every group they belong to)` : '') +
      `; registeredSubscribers is everyone with that value as of the last daily snapshot; subscribers without a value are under "${NOT_SET}". Stuck sessions are broken down by ${USAGE_DIMS.join(', ')} only.`,
  };
}
