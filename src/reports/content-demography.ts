import type { FlowIndex } from '../crm/flow-index';
import type { Db } from '../db/client';
import { badRequest } from '../lib/errors';
import type { ProfileSchema } from '../subscribers/profile-schema';
import { activeSubscribersSql, eventWhere, NOT_SET, profileGrouping, sortGroups } from './profile-groups';
import { rate, type ReportRange } from './range';

/** Below this many reaching subscribers in a group the index is shown but marked as too few to read. */
const MIN_REACHED = 10;
/** An index whose 95% interval lies wholly below this marks a group the content is failing. */
const FAILING_BELOW = 1;
const Z95 = 1.959964;

const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

/**
 * Reach index of one group for one content node: (its share of the subscribers who reached the content)
 * / (its share of the active base), with an approximate 95% interval (log method for a ratio of two
 * proportions). 1 = reached in proportion; 0.5 = half as often as its size would say.
 */
export function reachIndex(reached: number, reachedAll: number, active: number, activeAll: number): { index: number | null; interval: [number, number] | null } {
  if (reachedAll === 0 || active === 0 || activeAll === 0) return { index: null, interval: null };
  const p1 = reached / reachedAll;
  const p0 = active / activeAll;
  const index = p1 / p0;
  // With no reach at all the point is 0 and only an upper bound means anything (half a count added).
  const a = Math.max(reached, 0.5);
  const se = Math.sqrt(Math.max(0, (1 - a / reachedAll) / a) + Math.max(0, (1 - p0) / active));
  const centre = Math.log(a / reachedAll / p0);
  return { index: round(index), interval: [reached === 0 ? 0 : round(Math.exp(centre - Z95 * se)), round(Math.exp(centre + Z95 * se))] };
}

/**
 * Who does each piece of content reach? For every group of `field` (a typed profile field or ageBand)
 * and every content node reached in the range: subscribers reaching it, the group's share of them
 * against its share of the active base (the reach index), with counts and an interval, so a content team
 * sees which group the service is failing. Two grouped queries over covering partial indexes of the usage
 * log (session starts, content), no per-subscriber work in JS.
 */
export function contentDemographyReport(db: Db, flows: Pick<FlowIndex, 'topic'>, r: ReportRange, field: string | undefined, schema: Pick<ProfileSchema, 'field' | 'names'>, limit: number): Record<string, unknown> {
  if (!field) throw badRequest('INVALID_DIMENSION', `field is required: one of ${[...schema.names(), 'ageBand'].join(', ')} (e.g. ?field=gender).`);
  const g = profileGrouping(schema, field, r);
  const w = eventWhere(r);
  const base = db.$client
    .prepare(`SELECT ${g.value} AS value, count(*) AS n FROM (${activeSubscribersSql(w)}) a JOIN subscribers s ON s.id = a.subscriber_id ${g.join} GROUP BY 1`)
    .all(...w.args, ...w.args) as { value: string | number | null; n: number }[];
  const reaches = db.$client
    .prepare(
      `SELECT ${g.value} AS value, e.flow_id AS flowId, e.node_id AS nodeId, count(DISTINCT e.subscriber_id) AS n
       FROM usage_events e JOIN subscribers s ON s.id = e.subscriber_id ${g.join}
       WHERE e.type = 'content' AND ${w.sql} AND e.node_id IS NOT NULL GROUP BY 1, 2, 3`,
    )
    .all(...w.args) as { value: string | number | null; flowId: string; nodeId: string; n: number }[];
  const label = (v: string | number | null) => (v === null ? NOT_SET : String(v));

  const activeBy = new Map(base.map((b) => [label(b.value), b.n]));
  let activeAll = base.reduce((a, b) => a + b.n, 0);
  const reachedAllBy = new Map<string, number>();
  if (g.overlapping) {
    // A list field counts a subscriber in several groups: totals come from the log itself.
    activeAll = (db.$client.prepare(`SELECT count(*) AS n FROM (${activeSubscribersSql(w)})`).get(...w.args, ...w.args) as { n: number }).n;
    const rows = db.$client
      .prepare(`SELECT e.flow_id AS flowId, e.node_id AS nodeId, count(DISTINCT e.subscriber_id) AS n FROM usage_events e WHERE e.type = 'content' AND ${w.sql} AND e.node_id IS NOT NULL GROUP BY 1, 2`)
      .all(...w.args) as { flowId: string; nodeId: string; n: number }[];
    for (const x of rows) reachedAllBy.set(`${x.flowId}\u0000${x.nodeId}`, x.n);
  } else {
    for (const x of reaches) reachedAllBy.set(`${x.flowId}\u0000${x.nodeId}`, (reachedAllBy.get(`${x.flowId}\u0000${x.nodeId}`) ?? 0) + x.n);
  }

  const groups = sortGroups(
    [...activeBy].map(([value, n]) => ({ value, size: n, activeSubscribers: n, shareOfActive: rate(n, activeAll) })),
    g.order,
  ).map(({ size: _s, ...x }) => x);

  const byContent = new Map<string, Map<string, number>>();
  for (const x of reaches) {
    const k = `${x.flowId}\u0000${x.nodeId}`;
    let m = byContent.get(k);
    if (!m) byContent.set(k, (m = new Map<string, number>()));
    m.set(label(x.value), x.n);
  }
  const failing: Record<string, unknown>[] = [];
  const content = [...byContent]
    .map(([k, m]) => {
      const [flowId, nodeId] = k.split('\u0000') as [string, string];
      const reachedAll = reachedAllBy.get(k) ?? 0;
      const perGroup = groups.map(({ value, activeSubscribers }) => {
        const reached = m.get(value) ?? 0;
        const ri = reachIndex(reached, reachedAll, activeSubscribers, activeAll);
        const row = {
          value,
          reached,
          reachRate: rate(reached, activeSubscribers),
          shareOfReached: rate(reached, reachedAll),
          shareOfActive: rate(activeSubscribers, activeAll),
          reachIndex: ri.index,
          interval: ri.interval,
          ...(reached < MIN_REACHED ? { fewReached: true } : {}),
        };
        if (ri.interval && ri.interval[1] < FAILING_BELOW && value !== NOT_SET) failing.push({ flowId, nodeId, topic: flows.topic(flowId, nodeId, null), ...row });
        return row;
      });
      return { flowId, nodeId, topic: flows.topic(flowId, nodeId, null), reached: reachedAll, groups: perGroup };
    })
    .sort((a, b) => b.reached - a.reached || a.flowId.localeCompare(b.flowId) || a.nodeId.localeCompare(b.nodeId));
  failing.sort((a, b) => (a.reachIndex as number) - (b.reachIndex as number));
  return {
    field,
    activeSubscribers: activeAll,
    groups,
    content: content.slice(0, limit),
    ...(content.length > limit ? { contentTruncated: content.length } : {}),
    failing: failing.slice(0, limit),
    note:
      `reachIndex = (group's share of the subscribers who reached the content) / (group's share of the active base: subscribers with a session or content in the range); ` +
      `1 = in proportion, below 1 = under-reached. interval is an approximate 95% interval; fewReached marks fewer than ${MIN_REACHED} subscribers. ` +
      `failing lists groups whose whole interval is below 1. Groups are by ${field} as it is now; subscribers without a value are under "${NOT_SET}".` +
      (g.overlapping ? ` ${field} is a list: a subscriber counts in every group they belong to.` : ''),
  };
}
