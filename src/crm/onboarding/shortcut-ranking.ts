import type { FlowIndex } from '../flow-index';
import type { ContentReaches } from './onboarding-store';

/** One shortcut the welcome may carry, and the group whose reaches chose it. */
export interface RankedShortcut {
  flowId: string;
  nodeId: string;
  shortcut: string;
  reaches: number;
  /** region+crop | region | all: the group whose first-go reaches ranked it. */
  from: 'region+crop' | 'region' | 'all';
}

type Counts = Map<string, number>;
const SEP = '\t';

/**
 * The content nodes most often found at the first go, per region and crop, built once per pass from the
 * onboarding content counts. A subscriber's list starts with their region and crop's own ranking when that
 * group has enough reaches, then fills from their region's, then from the whole base's.
 */
export class ShortcutRanking {
  private readonly byRegionCrop = new Map<string, Counts>();
  private readonly byRegion = new Map<string, Counts>();
  private readonly all: Counts = new Map();
  private readonly cache = new Map<string, RankedShortcut[]>();

  constructor(
    rows: readonly ContentReaches[],
    private readonly index: Pick<FlowIndex, 'shortcut'>,
    private readonly opts: { max: number; minGroupReaches: number },
  ) {
    const add = (m: Map<string, Counts>, k: string, node: string, n: number) => {
      let c = m.get(k);
      if (!c) m.set(k, (c = new Map<string, number>()));
      c.set(node, (c.get(node) ?? 0) + n);
    };
    for (const r of rows) {
      // Nodes no dial string leads to cannot be a shortcut.
      if (!index.shortcut(r.flowId, r.nodeId)) continue;
      const node = `${r.flowId}${SEP}${r.nodeId}`;
      add(this.byRegionCrop, `${r.region}${SEP}${r.crop}`, node, r.n);
      add(this.byRegion, r.region, node, r.n);
      this.all.set(node, (this.all.get(node) ?? 0) + r.n);
    }
  }

  /** The shortcuts for a subscriber of `region` growing `crop` (null: unknown), best first. */
  for(region: string | null, crop: string | null): RankedShortcut[] {
    const key = `${region ?? ''}${SEP}${crop ?? ''}`;
    let out = this.cache.get(key);
    if (out) return out;
    out = [];
    const seen = new Set<string>();
    const take = (counts: Counts | undefined, from: RankedShortcut['from'], always: boolean) => {
      if (!counts || out!.length >= this.opts.max) return;
      let total = 0;
      for (const n of counts.values()) total += n;
      if (!always && total < this.opts.minGroupReaches) return;
      const ranked = [...counts].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      for (const [node, n] of ranked) {
        if (out!.length >= this.opts.max) break;
        if (seen.has(node)) continue;
        seen.add(node);
        const [flowId, nodeId] = node.split(SEP) as [string, string];
        out!.push({ flowId, nodeId, shortcut: this.index.shortcut(flowId, nodeId)!, reaches: n, from });
      }
    };
    if (region !== null && crop !== null) take(this.byRegionCrop.get(key), 'region+crop', false);
    if (region !== null) take(this.byRegion.get(region ?? ''), 'region', false);
    take(this.all, 'all', true);
    this.cache.set(key, out);
    return out;
  }

  /** Every region and crop group with reaches, with its shortcuts (the console's table). */
  groups(): { region: string | null; crop: string | null; reaches: number; shortcuts: RankedShortcut[] }[] {
    return [...this.byRegionCrop]
      .map(([k, counts]) => {
        const [region, crop] = k.split(SEP) as [string, string];
        let reaches = 0;
        for (const n of counts.values()) reaches += n;
        const r = region || null;
        const c = crop || null;
        return { region: r, crop: c, reaches, shortcuts: this.for(r, c) };
      })
      .sort((a, b) => b.reaches - a.reaches);
  }
}
