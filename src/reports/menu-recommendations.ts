import type { Config } from '../config';
import { wilson } from '../crm/experiments';
import type { FlowIndex } from '../crm/flow-index';
import { lineOf } from '../engine/flow-lines';
import type { Flow } from '../engine/types';
import { rate, type ReportRange } from './range';
import type { DiscoveryStore } from './stores/discovery-store';
import type { MenuDay, MenuReportStore } from './stores/menu-store';

type Thresholds = Config['crm']['menuRecommendations'];

/** What a suggestion is about; docs/menu-recommendations.md says what to do about each. */
export const SUGGESTION_KINDS = ['rare_option', 'unclear_prompt', 'buried_content', 'shortcut_only', 'long_screen'] as const;
export type SuggestionKind = (typeof SUGGESTION_KINDS)[number];

/** One suggestion with its evidence: the share, how many it is of, its 95% interval and the threshold it crossed. */
export interface MenuSuggestion {
  kind: SuggestionKind;
  flowId: string;
  nodeId: string;
  label: { en: string; sw: string };
  file: string;
  line: number | null;
  /** rare_option: the option (its key, label and the node it leads to). */
  option?: { key: string; label: { en: string; sw: string }; next: string };
  /** The dial string that opens the node (buried_content: the shortcut to advertise). */
  shortcut?: string | null;
  /** Menu depth of the node (shortcut_only: how far below the main menu it is). */
  depth?: number | null;
  /** buried_content: the visits (episodes) that ended on this content and how many found it at the first go (docs/crm-discovery.md). */
  discovery?: { episodes: number; foundFirstGo: number; firstGoRate: number | null; firstGoInterval95: [number, number] | null };
  /** `count` of `sample` (choices, views or arrivals, per kind), their share and its Wilson 95% interval. */
  count: number;
  sample: number;
  share: number;
  interval95: [number, number];
  /** The threshold crossed: the interval's top is below it (rare_option) or its bottom above it (the rest). */
  threshold: number;
  message: string;
}

type Totals = Omit<MenuDay, 'flowId' | 'nodeId'>;
/** Episodes and first-go finds per sought content (`flowId\tnodeId`). */
type Sought = Map<string, { episodes: number; firstGo: number }>;
const round = (v: number) => Math.round(v * 10000) / 10000;
const pct = (v: number) => `${Math.round(v * 1000) / 10}%`;

function totals(rows: MenuDay[]): Map<string, Map<string, Totals>> {
  const byFlow = new Map<string, Map<string, Totals>>();
  for (const r of rows) {
    let nodes = byFlow.get(r.flowId);
    if (!nodes) byFlow.set(r.flowId, (nodes = new Map<string, Totals>()));
    let t = nodes.get(r.nodeId);
    if (!t) nodes.set(r.nodeId, (t = { views: 0, picks: {}, pagedViews: 0, invalidViews: 0, menuArrivals: 0, detourArrivals: 0, shortcutArrivals: 0 }));
    t.views += r.views;
    for (const [k, v] of Object.entries(r.picks)) t.picks[k] = (t.picks[k] ?? 0) + v;
    t.pagedViews += r.pagedViews;
    t.invalidViews += r.invalidViews;
    t.menuArrivals += r.menuArrivals;
    t.detourArrivals += r.detourArrivals;
    t.shortcutArrivals += r.shortcutArrivals;
  }
  return byFlow;
}

function optionLabel(flow: Flow, label: Record<string, string>, lang: string): string {
  return label[lang] ?? label[flow.defaultLanguage] ?? '';
}

/**
 * Menu-design suggestions from the CRM pass's menu rollups (crm_menu_daily): options almost no one picks,
 * prompts that draw invalid input, content reached mostly after a detour or mostly by shortcut dial, and
 * screens most callers page through. A suggestion needs `minSample` observations and its 95% interval
 * wholly past the threshold, so noise on a small sample never makes one.
 */
export async function menuRecommendationsReport(
  store: MenuReportStore,
  discovery: Pick<DiscoveryStore, 'episodes'>,
  flows: FlowIndex,
  r: ReportRange,
  cfg: Thresholds,
): Promise<Record<string, unknown>> {
  const out: MenuSuggestion[] = [];
  // First-go discovery per content node, from the episode rollups (read only when some advice looks buried).
  let sought: Sought | null = null;
  const readSought = async (): Promise<Sought> => {
    const m: Sought = new Map();
    for (const e of await discovery.episodes(r)) {
      const k = `${e.soughtFlowId}\t${e.nodeId}`;
      const a = m.get(k) ?? { episodes: 0, firstGo: 0 };
      a.episodes += e.episodes;
      a.firstGo += e.firstGo;
      m.set(k, a);
    }
    return m;
  };
  const firstGo = (found: Sought, flowId: string, nodeId: string): MenuSuggestion['discovery'] => {
    const a = found.get(`${flowId}\t${nodeId}`) ?? { episodes: 0, firstGo: 0 };
    const [lo, hi] = wilson(a.firstGo, a.episodes);
    return { episodes: a.episodes, foundFirstGo: a.firstGo, firstGoRate: rate(a.firstGo, a.episodes), firstGoInterval95: a.episodes > 0 ? [round(lo), round(hi)] : null };
  };
  let nodesChecked = 0;
  for (const [flowId, nodes] of totals(await store.nodeDays(r))) {
    const flow = flows.flow(flowId);
    if (!flow) continue; // a flow since removed: nothing left to change
    const label = (nodeId: string) => ({ en: flows.topic(flowId, nodeId, 'en'), sw: flows.topic(flowId, nodeId, 'sw') });
    const base = (nodeId: string) => ({ flowId, nodeId, label: label(nodeId), file: flow.file, line: lineOf(flow.file, nodeId) });
    const evidence = (count: number, sample: number, threshold: number) => {
      const [lo, hi] = wilson(count, sample);
      return { count, sample, share: rate(count, sample) ?? 0, interval95: [round(lo), round(hi)] as [number, number], threshold, lo, hi };
    };
    const above = (count: number, sample: number, threshold: number) => {
      if (sample < cfg.minSample) return null;
      const e = evidence(count, sample, threshold);
      return e.lo > threshold ? e : null;
    };
    for (const [nodeId, t] of nodes) {
      const node = flow.nodes[nodeId];
      if (!node) continue; // built-in screens and nodes since removed
      nodesChecked++;
      const name = label(nodeId).en;
      if (node.type === 'menu') {
        // Onward choices: forward moves to one of the menu's options (a back or home is not a choice).
        const choices = node.options.reduce((s, o) => s + (t.picks[o.next] ?? 0), 0);
        if (choices >= cfg.minSample) {
          node.options.forEach((o, i) => {
            const e = evidence(t.picks[o.next] ?? 0, choices, cfg.rareOptionShare);
            if (e.hi >= cfg.rareOptionShare) return;
            const optLabel = { en: optionLabel(flow, o.label, 'en'), sw: optionLabel(flow, o.label, 'sw') };
            out.push({
              kind: 'rare_option',
              ...base(nodeId),
              option: { key: String(i + 1), label: optLabel, next: o.next },
              ...strip(e),
              message: `Option ${i + 1} "${optLabel.en}" on "${name}" is picked in ${pct(e.share)} of the choices made there (${e.count} of ${e.sample}). Remove it, merge it with another, or move it to the end.`,
            });
          });
        }
      }
      const unclear = above(t.invalidViews, t.views, cfg.invalidRate);
      if (unclear) {
        out.push({
          kind: 'unclear_prompt',
          ...base(nodeId),
          ...strip(unclear),
          message: `"${name}" gets an invalid reply on ${pct(unclear.share)} of the times it is shown (${unclear.count} of ${unclear.sample}). Its prompt is probably unclear: say plainly what to reply.`,
        });
      }
      if (node.type === 'content') {
        const buried = above(t.detourArrivals, t.menuArrivals, cfg.detourRate);
        if (buried) {
          sought ??= await readSought();
          out.push({
            kind: 'buried_content',
            ...base(nodeId),
            shortcut: flows.shortcut(flowId, nodeId),
            ...strip(buried),
            discovery: firstGo(sought, flowId, nodeId),
            message: `${pct(buried.share)} of the callers who find "${name}" through the menu get there only after going back, home or round again (${buried.count} of ${buried.sample}). Move it up, or advertise its shortcut.`,
          });
        }
        const depth = flows.info(flowId, nodeId)?.depth ?? null;
        const arrivals = t.menuArrivals + t.shortcutArrivals;
        // Already on the main menu (depth 1): nothing to add it to.
        const hidden = depth !== 1 ? above(t.shortcutArrivals, arrivals, cfg.shortcutShare) : null;
        if (hidden) {
          out.push({
            kind: 'shortcut_only',
            ...base(nodeId),
            depth,
            ...strip(hidden),
            message: `${pct(hidden.share)} of the callers who get "${name}" come straight from a shortcut dial string (${hidden.count} of ${hidden.sample}); few find it in the menu. Add it to the main menu.`,
          });
        }
      }
      const long = above(t.pagedViews, t.views, cfg.pagingRate);
      if (long) {
        out.push({
          kind: 'long_screen',
          ...base(nodeId),
          ...strip(long),
          message: `Callers ask for the next page on ${pct(long.share)} of the times "${name}" is shown (${long.count} of ${long.sample}). Shorten the text, or split it into two screens.`,
        });
      }
    }
  }
  out.sort((a, b) => a.flowId.localeCompare(b.flowId) || (a.line ?? Infinity) - (b.line ?? Infinity) || a.nodeId.localeCompare(b.nodeId) || a.kind.localeCompare(b.kind) || Number(a.option?.key ?? 0) - Number(b.option?.key ?? 0));
  return {
    thresholds: { ...cfg },
    nodesChecked,
    suggestions: out,
    note: 'From the CRM pass rollups: sessions are counted once finished. A suggestion needs minSample observations and its whole 95% (Wilson) interval past the threshold.',
  };
}

function strip(e: { count: number; sample: number; share: number; interval95: [number, number]; threshold: number }) {
  return { count: e.count, sample: e.sample, share: e.share, interval95: e.interval95, threshold: e.threshold };
}
