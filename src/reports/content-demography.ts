import type { FlowIndex } from '../crm/flow-index';
import { badRequest } from '../lib/errors';
import type { ProfileSchema } from '../subscribers/profile-schema';
import { EXACT_MAX } from '../crm/distinct-sketch';
import { NOT_SET, sortGroups } from './profile-groups';
import { contentReach, distinct, groupUsage, rollupGrouping } from './profile-rollup';
import { rate, type ReportRange } from './range';
import type { UsageStore } from './stores/usage-store';

/** Below this many reaching subscribers in a group the index is shown but marked as too few to read. */
const MIN_REACHED = 10;
/** An index whose 95% interval lies wholly below this marks a group the content is failing. */
const FAILING_BELOW = 1;
const Z95 = 1.959964;

const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

/**
 * Reach index of one group for one content node: (its share of the visits that reached the content)
 * / (its share of all visits), with an approximate 95% interval (log method for a ratio of two
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
 * and every content node reached in the range: visits (sessions, or content sent outside one) that
 * reached it, the group's share of them against its share of all visits (the reach index), with counts
 * and an interval, so a content team sees which group the service is failing. Read from the daily
 * profile rollups the CRM pass keeps, never from the usage log.
 */
export async function contentDemographyReport(store: UsageStore, flows: Pick<FlowIndex, 'topic'>, r: ReportRange, field: string | undefined, schema: Pick<ProfileSchema, 'field' | 'names'>, limit: number): Promise<Record<string, unknown>> {
  if (!field) throw badRequest('INVALID_DIMENSION', `field is required: one of ${[...schema.names(), 'ageBand'].join(', ')} (e.g. ?field=gender).`);
  const g = rollupGrouping(schema, field, r);
  const usage = await groupUsage(store, r, g);
  const { byContent, totals: reachedAllBy } = await contentReach(store, r, g);
  const activeAll = distinct(usage.total.subscribers);
  const visitsAll = usage.total.visits;
  const activeBy = new Map([...usage.groups].map(([value, u]) => [value, { active: distinct(u.subscribers), visits: u.visits }]));

  const groups = sortGroups(
    [...activeBy].map(([value, a]) => ({ value, size: a.active, activeSubscribers: a.active, shareOfActive: rate(a.active, activeAll), visits: a.visits, shareOfVisits: rate(a.visits, visitsAll) })),
    g.order,
  ).map(({ size: _s, ...x }) => x);

  const failing: Record<string, unknown>[] = [];
  const content = [...byContent]
    .map(([k, m]) => {
      const [flowId, nodeId] = k.split('\u0000') as [string, string];
      const reachedAll = reachedAllBy.get(k) ?? 0;
      const perGroup = groups.map(({ value, visits }) => {
        const reached = m.get(value) ?? 0;
        const ri = reachIndex(reached, reachedAll, visits, visitsAll);
        const row = {
          value,
          reached,
          reachRate: rate(reached, visits),
          shareOfReached: rate(reached, reachedAll),
          shareOfVisits: rate(visits, visitsAll),
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
    visits: visitsAll,
    groups,
    content: content.slice(0, limit),
    ...(content.length > limit ? { contentTruncated: content.length } : {}),
    failing: failing.slice(0, limit),
    note:
      `reached counts visits (a session, or content sent by SMS outside one) that reached the content: read on USSD, heard to the end on IVR. ` +
      `reachIndex = (group's share of the visits that reached the content) / (group's share of all visits in the range); 1 = in proportion, below 1 = under-reached. ` +
      `interval is an approximate 95% interval (it treats visits as independent, so a few heavy callers make it too narrow); fewReached marks fewer than ${MIN_REACHED} visits. ` +
      `failing lists groups whose whole interval is below 1. activeSubscribers are distinct subscribers with a visit (exact up to ${EXACT_MAX} per group and day, then within about 3%). ` +
      `Groups are by ${field} as it was when the CRM pass counted the visit; subscribers without a value are under "${NOT_SET}".` +
      (g.overlapping ? ` ${field} is a list: a subscriber counts in every group they belong to.` : ''),
  };
}
