import type { Db } from '../db/client';
import type { Days } from '../crm/days';
import type { FlowIndex } from '../crm/flow-index';
import { soughtContentReport } from './discovery-sought';
import { rate, rollupWhere, type ReportRange } from './range';

interface Row {
  day: number;
  channel: string;
  sessions: number;
  content_sessions: number;
  clean_sessions: number;
  stuck_sessions: number;
  first_sessions: number;
  first_content_sessions: number;
  menu_ms: number;
  ends: string;
  friction: string;
}

/**
 * Did callers find the content they were looking for at the first go? `soughtContent`: per episode (a
 * subscriber's sessions within the gap), optionally broken down `by` flow, channel, language, cohort,
 * node or a profile field. Beside it the older per-session reading: share reaching any content, share
 * reaching it without invalid input, back or revisit, first-ever sessions, stuck sessions and why.
 */
export function discoveryReport(
  db: Db,
  days: Days,
  r: ReportRange,
  opts: { flows: FlowIndex; by?: string | undefined; profileFields?: readonly string[] | null },
): Record<string, unknown> {
  const soughtContent = soughtContentReport(db, opts.flows, r, opts.by, opts.profileFields ?? null);
  const w = rollupWhere(r);
  const rows = db.$client.prepare(`SELECT * FROM crm_session_daily WHERE ${w.sql} ORDER BY day`).all(...w.args) as Row[];
  type Acc = { sessions: number; content: number; clean: number; stuck: number; first: number; firstContent: number; menuMs: number; ends: Record<string, number>; friction: Record<string, number> };
  const z = (): Acc => ({ sessions: 0, content: 0, clean: 0, stuck: 0, first: 0, firstContent: 0, menuMs: 0, ends: {}, friction: {} });
  const total = z();
  const byDay = new Map<number, Acc>();
  const byChannel = new Map<string, Acc>();
  const add = (a: Acc, row: Row, ends: Record<string, number>, friction: Record<string, number>) => {
    a.sessions += row.sessions;
    a.content += row.content_sessions;
    a.clean += row.clean_sessions;
    a.stuck += row.stuck_sessions;
    a.first += row.first_sessions;
    a.firstContent += row.first_content_sessions;
    a.menuMs += row.menu_ms;
    for (const [k, v] of Object.entries(ends)) a.ends[k] = (a.ends[k] ?? 0) + v;
    for (const [k, v] of Object.entries(friction)) a.friction[k] = (a.friction[k] ?? 0) + v;
  };
  for (const row of rows) {
    const ends = JSON.parse(row.ends) as Record<string, number>;
    const friction = JSON.parse(row.friction) as Record<string, number>;
    add(total, row, ends, friction);
    if (!byDay.has(row.day)) byDay.set(row.day, z());
    add(byDay.get(row.day)!, row, ends, friction);
    if (!byChannel.has(row.channel)) byChannel.set(row.channel, z());
    add(byChannel.get(row.channel)!, row, ends, friction);
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
    endReasons: total.ends,
    frictionSignals: total.friction,
    byChannel: Object.fromEntries([...byChannel].map(([ch, a]) => [ch, view(a)])),
    daily: [...byDay].map(([day, a]) => ({ day: days.iso(day), ...view(a) })),
  };
}
