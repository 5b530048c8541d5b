import { COHORTS, zeroCounts, type DiscoveryCounts } from '../crm/discovery-rollup';
import { ageBandOf } from '../subscribers/profile-schema';
import { wilson } from '../crm/experiments';
import type { FlowIndex } from '../crm/flow-index';
import { badRequest } from '../lib/errors';
import { rate, type ReportRange } from './range';
import type { DiscoveryStore } from './stores/discovery-store';

/** Breakdowns every discovery report offers; profile fields come on top. */
export const DISCOVERY_DIMS = ['flow', 'channel', 'language', 'cohort', 'node'] as const;


function add(a: DiscoveryCounts, r: DiscoveryCounts, sign = 1): void {
  a.episodes += sign * r.episodes;
  a.firstGo += sign * r.firstGo;
  a.retried += sign * r.retried;
  a.notFound += sign * r.notFound;
  a.anyFirstGo += sign * r.anyFirstGo;
  a.sessions += sign * r.sessions;
}

const round = (v: number) => Math.round(v * 10000) / 10000;

/** DiscoveryCounts, the first-go rate of the content sought with its 95% (Wilson) interval, and the older "any content" rate. */
function view(a: DiscoveryCounts): Record<string, unknown> {
  const [lo, hi] = wilson(a.firstGo, a.episodes);
  return {
    episodes: a.episodes,
    foundFirstGo: a.firstGo,
    foundAfterRetries: a.retried,
    notFound: a.notFound,
    firstGoRate: rate(a.firstGo, a.episodes),
    firstGoInterval95: a.episodes > 0 ? [round(lo), round(hi)] : null,
    foundRate: rate(a.firstGo + a.retried, a.episodes),
    anyContentFirstGoRate: rate(a.anyFirstGo, a.episodes),
    sessionsPerEpisode: a.episodes > 0 ? Math.round((a.sessions / a.episodes) * 100) / 100 : null,
  };
}

/** The breakdowns allowed: the built-in ones, then the profile schema's fields (and ageBand with birthYear). */
export function allowedDiscoveryDims(profileFields: readonly string[] | null): string[] | null {
  if (profileFields === null) return null;
  return [...DISCOVERY_DIMS, ...profileFields.filter((f) => !(DISCOVERY_DIMS as readonly string[]).includes(f)), ...(profileFields.includes('birthYear') ? ['ageBand'] : [])];
}

function checkBy(by: string, profileFields: readonly string[] | null): void {
  const allowed = allowedDiscoveryDims(profileFields);
  if (allowed ? allowed.includes(by) : /^[A-Za-z][A-Za-z0-9_]{0,39}$/.test(by)) return;
  const list = allowed ? allowed.join(', ') : `${DISCOVERY_DIMS.join(', ')} or a profile field name`;
  throw badRequest('INVALID_DIMENSION', `by "${by.slice(0, 40)}" is not a discovery breakdown; by must be one of ${list}.`);
}

/** Age band from the birthYear profile field, as of the report's end (the bands of usage and content-demography). */
function ageBand(birthYear: string, endYear: number): string {
  const y = Number(birthYear);
  if (!Number.isInteger(y)) return 'unknown';
  return ageBandOf(endYear - y);
}

/**
 * First-go discovery of the content sought, from the episode rollups: an episode is a subscriber's
 * sessions within the configured gap; what it ends on is what they sought; first go means the first
 * session got it with no back, home, invalid input or timeout on the way. Optionally broken down `by`.
 */
export async function soughtContentReport(
  store: DiscoveryStore,
  flows: FlowIndex,
  r: ReportRange,
  by: string | undefined,
  profileFields: readonly string[] | null,
): Promise<Record<string, unknown>> {
  if (by !== undefined) checkBy(by, profileFields);
  const total = zeroCounts();
  const rows = await store.episodes(r);
  for (const row of rows) add(total, row);
  const open = await store.openEpisodes();
  const out: Record<string, unknown> = {
    ...view(total),
    openEpisodes: open,
    note: 'Episodes are counted on the day they start, once finished (the gap after their last session has passed); openEpisodes are not counted yet.',
  };
  if (by === undefined) return out;

  const groups = new Map<string, DiscoveryCounts & { flowId?: string; nodeId?: string }>();
  const group = (k: string) => {
    let g = groups.get(k);
    if (!g) groups.set(k, (g = zeroCounts()));
    return g;
  };
  if ((DISCOVERY_DIMS as readonly string[]).includes(by)) {
    for (const row of rows) {
      if (by === 'node') {
        // Per content node: only episodes that found something have a node to blame.
        if (row.nodeId === '') continue;
        const g = group(`${row.soughtFlowId}\t${row.nodeId}`);
        g.flowId = row.soughtFlowId;
        g.nodeId = row.nodeId;
        add(g, row);
        continue;
      }
      add(group(by === 'flow' ? row.flowId : by === 'channel' ? row.channel : by === 'language' ? row.language : row.cohort), row);
    }
  } else {
    const field = by === 'ageBand' ? 'birthYear' : by;
    const endYear = new Date(r.to).getUTCFullYear();
    const prof = await store.episodesByProfile(r, field);
    // Value '' counts every episode whose subscriber has the field: the rest are unknown.
    const unknown = zeroCounts();
    Object.assign(unknown, total);
    for (const row of prof) {
      if (row.value === '') add(unknown, row, -1);
      else add(group(by === 'ageBand' ? ageBand(row.value, endYear) : row.value), row);
    }
    if (unknown.episodes > 0) Object.assign(group('unknown'), unknown);
  }
  const list = [...groups].map(([k, g]): Record<string, unknown> => {
    if (by === 'node') return { flowId: g.flowId, nodeId: g.nodeId, topic: flows.topic(g.flowId!, g.nodeId!, null), ...view(g) };
    return { value: k, ...(by === 'cohort' ? { label: k === COHORTS.firstWeek ? 'subscribers in their first week of use' : 'subscribers past their first week' } : {}), ...view(g) };
  });
  const fr = (x: Record<string, unknown>) => (typeof x.firstGoRate === 'number' ? x.firstGoRate : 2);
  const size = (x: Record<string, unknown>) => x.episodes as number;
  // Per node the hardest to find come first; other breakdowns by size.
  if (by === 'node') list.sort((x, y) => fr(x) - fr(y) || size(y) - size(x));
  else list.sort((x, y) => size(y) - size(x) || String(x.value).localeCompare(String(y.value)));
  out.by = by;
  out.groups = list;
  if (by === 'node') out.notFoundEpisodes = total.notFound;
  if (!(DISCOVERY_DIMS as readonly string[]).includes(by)) out.profileNote = 'A list field (crops) counts an episode under each of its values; unknown = episodes whose subscriber has no value.';
  if (by === 'ageBand') out.ageAsOfYear = new Date(r.to).getUTCFullYear();
  return out;
}
