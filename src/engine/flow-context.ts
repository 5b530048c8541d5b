import { nodeTargets } from './flow-validator';
import type { Flow, FlowProblem, NodeContext } from './types';

/**
 * Advice in context (issue 15, journey 6): a content node or a menu may say where and when its advice
 * applies (regions, months, crops). A dimension a node leaves out is inherited from the nearest menu above
 * it that declares it; the context report compares each serve with the subscriber's region, crops and month.
 */

/** The dimensions of a context, in the order the report and warnings list them. */
export const CONTEXT_DIMENSIONS = ['regions', 'months', 'crops'] as const;
export type ContextDimension = (typeof CONTEXT_DIMENSIONS)[number];

/** Values the profile schema allows, when it lists them (else that check is skipped). */
export interface KnownContextValues {
  regions?: readonly string[];
  crops?: readonly string[];
}

const norm = (v: string | number) => String(v).trim().toLowerCase();

/** True when the two lists share no value (case-insensitive). */
function disjoint(a: readonly (string | number)[], b: readonly (string | number)[]): boolean {
  const set = new Set(a.map(norm));
  return !b.some((v) => set.has(norm(v)));
}

/** A parent's context with the child's own dimensions laid over it. */
function overlay(inherited: NodeContext, own: NodeContext | undefined): NodeContext {
  if (!own) return inherited;
  const out: NodeContext = { ...inherited };
  for (const d of CONTEXT_DIMENSIONS) if (own[d]) (out as Record<ContextDimension, unknown>)[d] = own[d];
  return out;
}

const isEmpty = (c: NodeContext) => !c.regions && !c.months && !c.crops;

/**
 * Each content node's effective context (own dimensions over those inherited along the first menu path
 * from the start node, breadth first); content nodes with no context at all are absent.
 */
export function effectiveContexts(flow: Flow): Map<string, NodeContext> {
  const inherited = new Map<string, NodeContext>();
  const queue: string[] = [];
  const visit = (id: string, from: NodeContext) => {
    const node = flow.nodes[id];
    if (!node || inherited.has(id)) return;
    inherited.set(id, overlay(from, node.type === 'menu' || node.type === 'content' ? node.context : undefined));
    queue.push(id);
  };
  const drain = () => {
    while (queue.length) {
      const id = queue.shift()!;
      for (const t of nodeTargets(flow.nodes[id]!)) visit(t.next, inherited.get(id)!);
    }
  };
  // Menus first: advice an SMS keyword also answers keeps the context of the menu it sits under.
  visit(flow.start, {});
  drain();
  for (const e of flow.entry.sms) visit(e.node, {});
  drain();
  const out = new Map<string, NodeContext>();
  for (const [id, ctx] of inherited) if (flow.nodes[id]!.type === 'content' && !isEmpty(ctx)) out.set(id, ctx);
  return out;
}

/**
 * Warnings (never errors: the flow still works) about contexts that contradict themselves: a node whose
 * dimension shares no value with the same dimension of a menu above it (on any path from the start), and
 * regions or crops the profile schema does not know (when it lists its values).
 */
export function contextWarnings(flow: Flow, known: KnownContextValues = {}): FlowProblem[] {
  const out: FlowProblem[] = [];
  const seen = new Set<string>();
  const warn = (nodeId: string, message: string) => {
    const key = `${nodeId}\u0000${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ file: flow.file, nodeId, message, warning: true });
  };
  for (const [id, node] of Object.entries(flow.nodes)) {
    const ctx = node.type === 'menu' || node.type === 'content' ? node.context : undefined;
    if (!ctx) continue;
    for (const d of ['regions', 'crops'] as const) {
      const allowed = known[d];
      if (!allowed || !ctx[d]) continue;
      const set = new Set(allowed.map(norm));
      for (const v of ctx[d]) if (!set.has(norm(v))) warn(id, `context ${d} "${v}" is not a value the profile schema knows (${allowed.join(', ')})`);
    }
  }
  // Depth first from the start with the nearest declaring ancestor per dimension; a node is walked again
  // only under a context not met before, so shared sub-menus cost little.
  type Above = Partial<Record<ContextDimension, { values: (string | number)[]; node: string }>>;
  const walked = new Set<string>();
  const walk = (id: string, above: Above) => {
    const node = flow.nodes[id];
    if (!node) return;
    const key = `${id}\u0000${JSON.stringify(above)}`;
    if (walked.has(key)) return;
    walked.add(key);
    const ctx = node.type === 'menu' || node.type === 'content' ? node.context : undefined;
    const below: Above = { ...above };
    if (ctx) {
      for (const d of CONTEXT_DIMENSIONS) {
        const own = ctx[d];
        if (!own) continue;
        const up = above[d];
        if (up && disjoint(up.values, own)) {
          warn(id, `context ${d} [${own.join(', ')}] shares nothing with [${up.values.join(', ')}] of "${up.node}" above it: this advice can never be in context`);
        }
        below[d] = { values: own, node: id };
      }
    }
    for (const t of nodeTargets(node)) walk(t.next, below);
  };
  walk(flow.start, {});
  return out;
}
