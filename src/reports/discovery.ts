import type { Days } from '../crm/days';
import type { FlowIndex } from '../crm/flow-index';
import { FRICTION_SIGNALS } from '../crm/session-classifier';
import { keysInOrder } from '../db/portable';
import { END_REASONS } from '../engine/types';
import { soughtContentReport } from './discovery-sought';
import { rate, type ReportRange } from './range';
import type { DiscoveryStore, SessionDay } from './stores/discovery-store';

/**
 * Did callers find the content they were looking for at the first go? `soughtContent`: per episode (a
 * subscriber's sessions within the gap), optionally broken down `by` flow, channel, language, cohort,
 * node or a profile field. Beside it the older per-session reading: share reaching any content, share
 * reaching it without invalid input, back or revisit, first-ever sessions, stuck sessions and why.
 */
export async function discoveryReport(
  store: DiscoveryStore,
  days: Days,
  r: ReportRange,
  opts: { flows: FlowIndex; by?: string | undefined; profileFields?: readonly string[] | null },
): Promise<Record<string, unknown>> {
  const soughtContent = await soughtContentReport(store, opts.flows, r, opts.by, opts.profileFields ?? null);
  type Acc = { sessions: number; content: number; clean: number; stuck: number; first: number; firstContent: number; menuMs: number; ends: Record<string, number>; friction: Record<string, number> };
  const z = (): Acc => ({ sessions: 0, content: 0, clean: 0, stuck: 0, first: 0, firstContent: 0, menuMs: 0, ends: {}, friction: {} });
  const total = z();
  const byDay = new Map<number, Acc>();
  const byChannel = new Map<string, Acc>();
  const add = (a: Acc, row: SessionDay) => {
    a.sessions += row.sessions;
    a.content += row.contentSessions;
    a.clean += row.cleanSessions;
    a.stuck += row.stuckSessions;
    a.first += row.firstSessions;
    a.firstContent += row.firstContentSessions;
    a.menuMs += row.menuMs;
    for (const [k, v] of Object.entries(row.ends)) a.ends[k] = (a.ends[k] ?? 0) + v;
    for (const [k, v] of Object.entries(row.friction)) a.friction[k] = (a.friction[k] ?? 0) + v;
  };
  for (const row of await store.sessions(r)) {
    add(total, row);
    if (!byDay.has(row.day)) byDay.set(row.day, z());
    add(byDay.get(row.day)!, row);
    if (!byChannel.has(row.channel)) byChannel.set(row.channel, z());
    add(byChannel.get(row.channel)!, row);
  }
  const view = (a: Acc) => ({
    sessions: a.sessions,
    contentRate: rate(a.content, a.sessions),
    firstAttemptRate: rate(a.clean, a.sessions),
    firstSessions: a.first,
    firstSessionContentRate: rate(a.firstContent, a.first),
    stuckSessions: a.stuck,
    stuckRate: rate(a.stuck, a.sessions),
    averageMenuSeconds: a.sessions > 0 ? Math.round(a.menuMs / a.sessions / 100) / 10 : null,
  });
  return {
    soughtContent,
    ...view(total),
    endReasons: keysInOrder(total.ends, END_REASONS),
    frictionSignals: keysInOrder(total.friction, FRICTION_SIGNALS),
    byChannel: Object.fromEntries([...byChannel].map(([ch, a]) => [ch, view(a)])),
    daily: [...byDay].map(([day, a]) => ({ day: days.iso(day), ...view(a) })),
  };
}
