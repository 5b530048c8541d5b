import type { Flow } from './types';

/**
 * Shortcut dials. `*384*1*1*2#` reaches the gateway as the base code `*384*1#` plus the inputs ['1','2'];
 * starting a session with those inputs lands on the node they lead to. The CRM uses the reverse: the key
 * path to a node and the dial string that goes straight there ("Dial *384*1*1*2# for maize pests").
 */

/** Canonical form of a USSD service code: no spaces, one trailing `#` (some gateways drop it). */
export function normalizeUssdCode(code: string): string {
  const s = code.replace(/\s+/g, '').replace(/#+$/, '');
  return s ? `${s}#` : '';
}

/**
 * Splits a dialled string into the longest matching base code and the extra inputs, or null when no base
 * code matches. `*384*1*1*2#` with bases [`*384*1#`] gives { base: `*384*1#`, inputs: ['1','2'] }.
 */
export function parseDialled(dialled: string, baseCodes: Iterable<string>): { base: string; inputs: string[] } | null {
  const body = normalizeUssdCode(dialled).slice(0, -1);
  if (!body) return null;
  let best: string | null = null;
  for (const code of baseCodes) {
    const b = normalizeUssdCode(code).slice(0, -1);
    if (!b || (body !== b && !body.startsWith(`${b}*`))) continue;
    if (best === null || b.length > best.length) best = b;
  }
  if (best === null) return null;
  const rest = body.slice(best.length + 1);
  return { base: `${best}#`, inputs: rest ? rest.split('*').filter((x) => x !== '') : [] };
}

/** The dial string for a base code plus inputs: (`*384*1#`, ['1','2']) -> `*384*1*1*2#`. */
export function shortcutDial(baseCode: string, inputs: string[]): string {
  const body = normalizeUssdCode(baseCode).slice(0, -1);
  return `${[body, ...inputs].join('*')}#`;
}

const pathCache = new WeakMap<Flow, Map<string, string[]>>();

// Breadth-first from the start node through menus and content `next` only: inputs, polls and actions store
// answers or act, so a shortcut never passes through them. Lower keys are explored first.
function allPaths(flow: Flow): Map<string, string[]> {
  let paths = pathCache.get(flow);
  if (paths) return paths;
  paths = new Map([[flow.start, []]]);
  const queue = [flow.start];
  while (queue.length > 0) {
    const id = queue.shift()!;
    const node = flow.nodes[id];
    const here = paths.get(id)!;
    const edges: [string, string][] = [];
    if (node?.type === 'menu') node.options.forEach((o, i) => edges.push([String(i + 1), o.next]));
    else if (node?.type === 'content' && node.next) edges.push(['1', node.next]);
    for (const [key, next] of edges) {
      if (paths.has(next) || !flow.nodes[next]) continue;
      paths.set(next, [...here, key]);
      queue.push(next);
    }
  }
  pathCache.set(flow, paths);
  return paths;
}

/** The keys that lead from the start node to `nodeId` (e.g. ['1','2']), [] for the start, null if none. */
export function nodePath(flow: Flow, nodeId: string): string[] | null {
  const p = allPaths(flow).get(nodeId);
  return p ? [...p] : null;
}

/** The dial string that opens `nodeId` directly (`*384*1*1*2#`), or null without a USSD code or path. */
export function shortcutFor(flow: Flow, nodeId: string, baseCode: string | undefined = flow.entry.ussd[0]): string | null {
  const path = nodePath(flow, nodeId);
  if (!baseCode || path === null) return null;
  return shortcutDial(baseCode, path);
}
