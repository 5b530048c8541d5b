import type { Tx } from '../db/database';
import type { MenuStore } from './menu-store';

/** One node's menu-design counts of one day and channel (a row of crm_menu_daily). */
export interface MenuAgg {
  day: number;
  ch: string;
  flow: string;
  node: string;
  views: number;
  picks: Record<string, number>;
  pagedViews: number;
  invalidViews: number;
  menuArrivals: number;
  detourArrivals: number;
  shortcutArrivals: number;
}

/**
 * The counts menu-design recommendations need, per node and day, gathered from the session steps of a
 * pass: which option each forward move took, views that needed "more" or got an invalid input, and how
 * content was first reached (shortcut dial, straight through the menu, after a detour).
 */
export class MenuRollup {
  // day*16+channel code -> flow -> node -> counts: no string is built per event.
  private readonly aggs = new Map<number, Map<string, Map<string, MenuAgg>>>();
  private readonly channels = new Map<string, number>();

  private agg(day: number, ch: string, flow: string, node: string): MenuAgg {
    let c = this.channels.get(ch);
    if (c === undefined) this.channels.set(ch, (c = this.channels.size));
    const k = day * 16 + c;
    let byFlow = this.aggs.get(k);
    if (!byFlow) this.aggs.set(k, (byFlow = new Map<string, Map<string, MenuAgg>>()));
    let byNode = byFlow.get(flow);
    if (!byNode) byFlow.set(flow, (byNode = new Map<string, MenuAgg>()));
    let a = byNode.get(node);
    if (!a) byNode.set(node, (a = { day, ch, flow, node, views: 0, picks: {}, pagedViews: 0, invalidViews: 0, menuArrivals: 0, detourArrivals: 0, shortcutArrivals: 0 }));
    return a;
  }

  /** A screen shown. */
  view(day: number, ch: string, flow: string, node: string): void {
    this.agg(day, ch, flow, node).views++;
  }

  /** A forward move from `from` to `to`. */
  pick(day: number, ch: string, flow: string, from: string, to: string): void {
    const p = this.agg(day, ch, flow, from).picks;
    p[to] = (p[to] ?? 0) + 1;
  }

  /** A view that needed a second page. */
  paged(day: number, ch: string, flow: string, node: string): void {
    this.agg(day, ch, flow, node).pagedViews++;
  }

  /** A view that got an invalid input. */
  invalidView(day: number, ch: string, flow: string, node: string): void {
    this.agg(day, ch, flow, node).invalidViews++;
  }

  /** Content first reached in a session, and how. */
  arrived(day: number, ch: string, flow: string, node: string, how: 'shortcut' | 'menu' | 'detour'): void {
    const a = this.agg(day, ch, flow, node);
    if (how === 'shortcut') a.shortcutArrivals++;
    else {
      a.menuArrivals++;
      if (how === 'detour') a.detourArrivals++;
    }
  }

  /** Adds everything to crm_menu_daily (inside the pass's unit) and empties the buffers; the rows written. */
  async flush(store: MenuStore, tx: Tx): Promise<number> {
    let rows = 0;
    for (const byFlow of this.aggs.values()) {
      for (const byNode of byFlow.values()) {
        for (const a of byNode.values()) {
          await store.add(a, tx);
          rows++;
        }
      }
    }
    this.aggs.clear();
    return rows;
  }
}
