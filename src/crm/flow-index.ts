import { effectiveContexts } from '../engine/flow-context';
import { lineOf } from '../engine/flow-lines';
import type { FlowRegistry } from '../engine/flow-registry';
import { nodePath, shortcutFor } from '../engine/shortcuts';
import type { Flow, FlowNode, Lang, NodeContext } from '../engine/types';

/** What the CRM needs to know about a node: how deep it is, what it is called, how to dial it. */
export interface NodeInfo {
  type: FlowNode['type'];
  /** Menus from the start node (the key path length); null when no menu path leads there. */
  depth: number | null;
}

/**
 * Read-only facts about flow nodes for detectors and reports, cached: depth (for "deep in the menu" and
 * the deepest branch sought), the topic label and the shortcut dial string the education SMS carries.
 */
export class FlowIndex {
  private readonly infos = new Map<string, NodeInfo | null>();
  private readonly topics = new Map<string, string>();
  private readonly contexts = new Map<string, Map<string, NodeContext>>();

  constructor(private readonly flows: Pick<FlowRegistry, 'byId' | 'all'>) {}

  /** Facts about a node, or null when the flow or node is unknown (built-in screens such as _language). */
  info(flowId: string, nodeId: string): NodeInfo | null {
    const key = `${flowId}\u0000${nodeId}`;
    let v = this.infos.get(key);
    if (v === undefined) {
      const flow = this.flows.byId(flowId);
      const node = flow?.nodes[nodeId];
      v = flow && node ? { type: node.type, depth: nodePath(flow, nodeId)?.length ?? null } : null;
      this.infos.set(key, v);
    }
    return v;
  }

  /** A content node's effective context (own and inherited from menus above), or null when it declares none. */
  context(flowId: string, nodeId: string): NodeContext | null {
    let m = this.contexts.get(flowId);
    if (!m) {
      const flow = this.flows.byId(flowId);
      this.contexts.set(flowId, (m = flow ? effectiveContexts(flow) : new Map<string, NodeContext>()));
    }
    return m.get(nodeId) ?? null;
  }

  /** The flow file and the line a node is written on (for warnings and reports a content team acts on). */
  source(flowId: string, nodeId: string): { file: string; line: number | null } | null {
    const flow = this.flows.byId(flowId);
    return flow ? { file: flow.file, line: lineOf(flow.file, nodeId) } : null;
  }

  /** Every content node of the flows with a context, for the context report's list. */
  contextNodes(): { flowId: string; nodeId: string; context: NodeContext }[] {
    return this.flows.all().flatMap((f) => [...effectiveContexts(f)].map(([nodeId, context]) => ({ flowId: f.id, nodeId, context })));
  }

  /** The dial string that opens the node directly, or null without a USSD code or menu path. */
  shortcut(flowId: string, nodeId: string): string | null {
    const flow = this.flows.byId(flowId);
    return flow ? shortcutFor(flow, nodeId) : null;
  }

  /** The flow itself (its nodes, options and source file), or undefined when unknown. */
  flow(flowId: string): Flow | undefined {
    return this.flows.byId(flowId);
  }

  /** The flow's main USSD code (`*384*1#`), or null. */
  code(flowId: string): string | null {
    return this.flows.byId(flowId)?.entry.ussd[0] ?? null;
  }

  /** The first flow reachable by USSD: the default for `{code}` in templates. */
  mainFlow(): Flow | undefined {
    return this.flows.all().find((f) => f.entry.ussd.length > 0) ?? this.flows.all()[0];
  }

  /**
   * What a subscriber would call the node: the label of the menu option that leads to it (`Maize`), else
   * the node's own text, in `lang` (or the flow's default language).
   */
  topic(flowId: string, nodeId: string, lang: Lang | null): string {
    const key = `${flowId}\u0000${nodeId}\u0000${lang ?? ''}`;
    let t = this.topics.get(key);
    if (t === undefined) this.topics.set(key, (t = this.findTopic(flowId, nodeId, lang)));
    return t;
  }

  private findTopic(flowId: string, nodeId: string, lang: Lang | null): string {
    const flow = this.flows.byId(flowId);
    if (!flow) return nodeId;
    const l = lang && flow.languages.includes(lang) ? lang : flow.defaultLanguage;
    for (const n of Object.values(flow.nodes)) {
      if (n.type !== 'menu') continue;
      const opt = n.options.find((o) => o.next === nodeId);
      if (opt) return opt.label[l] ?? opt.label[flow.defaultLanguage] ?? nodeId;
    }
    const node = flow.nodes[nodeId];
    const text = node?.text[l] ?? node?.text[flow.defaultLanguage];
    return text ? text.split(/[.\n]/)[0]!.trim() : nodeId;
  }
}
