import type { Db } from '../db/client';
import { hllCount, hllMerge, hllNew } from '../crm/hll';
import { badRequest } from '../lib/errors';
import { rate, rollupWhere, type ReportRange } from './range';

export const USAGE_DIMS = ['region', 'crop', 'language', 'operator'] as const;

/**
 * Is the service reaching farmers? Usage by region, crop, language or operator: distinct subscribers
 * active in the range (HyperLogLog union of the daily sketches, ~3% error), sessions, share reaching
 * content and stuck sessions, next to how many registered subscribers each value has.
 */
export function usageReport(db: Db, r: ReportRange, by: string | undefined): Record<string, unknown> {
  const dim = by ?? 'region';
  if (!(USAGE_DIMS as readonly string[]).includes(dim)) throw badRequest('INVALID_DIMENSION', `by must be one of ${USAGE_DIMS.join(', ')}.`);
  const w = rollupWhere(r);
  const rows = db.$client
    .prepare(`SELECT value, sessions, content_sessions, stuck_sessions, subscribers FROM crm_usage_daily WHERE dim = ? AND ${w.sql}`)
    .all(dim, ...w.args) as { value: string; sessions: number; content_sessions: number; stuck_sessions: number; subscribers: Buffer }[];
  const acc = new Map<string, { sessions: number; content: number; stuck: number; hll: Uint8Array }>();
  const all = hllNew();
  for (const row of rows) {
    let a = acc.get(row.value);
    if (!a) acc.set(row.value, (a = { sessions: 0, content: 0, stuck: 0, hll: hllNew() }));
    a.sessions += row.sessions;
    a.content += row.content_sessions;
    a.stuck += row.stuck_sessions;
    const regs = new Uint8Array(row.subscribers.buffer, row.subscribers.byteOffset, row.subscribers.byteLength);
    hllMerge(a.hll, regs);
    hllMerge(all, regs);
  }
  const reach = db.$client.prepare("SELECT data FROM crm_snapshots WHERE kind = 'reach' ORDER BY day DESC LIMIT 1").get() as { data: string } | undefined;
  const registered = reach ? ((JSON.parse(reach.data) as Record<string, Record<string, number>>)[dim] ?? {}) : {};
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
