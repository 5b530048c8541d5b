import { nodePath } from '../../engine/shortcuts';
import type { Flow } from '../../engine/types';

/** A content node and the menus on the way to it from the start. */
export interface Route {
  content: string;
  /** Menu nodes shown on the way, start first. */
  menus: string[];
  /** Which crop the content is about (for crop-weighted interest), if its id names one. */
  crop: string | null;
}

/**
 * The navigable routes of a flow: every content node reachable through menus, with the menus leading to
 * it. The generator walks these so synthetic sessions use real node ids (funnels, shortcuts).
 */
export function flowRoutes(flow: Flow, crops: readonly string[]): Route[] {
  const routes: Route[] = [];
  for (const node of Object.values(flow.nodes)) {
    if (node.type !== 'content') continue;
    const keys = nodePath(flow, node.id);
    if (!keys || keys.length === 0) continue;
    const menus: string[] = [flow.start];
    let cur = flow.start;
    let ok = true;
    for (const k of keys.slice(0, -1)) {
      const n = flow.nodes[cur];
      const next = n?.type === 'menu' ? n.options[Number(k) - 1]?.next : n?.type === 'content' ? n.next : undefined;
      if (!next) {
        ok = false;
        break;
      }
      cur = next;
      menus.push(cur);
    }
    if (!ok || menus.some((m) => flow.nodes[m]?.type !== 'menu')) continue;
    routes.push({ content: node.id, menus, crop: crops.find((c) => node.id.includes(c)) ?? null });
  }
  return routes;
}
