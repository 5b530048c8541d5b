import type { Database, Tx, UnitOfWork } from '../db/database';
import type { Flow, FlowNode, Localized } from '../engine/types';
import { validateFlow } from '../engine/flow-validator';
import { forgetScreens } from '../engine/screens';
import type { FlowRegistry } from '../engine/flow-registry';
import type { Clock } from '../lib/clock';
import { badRequest, notFound } from '../lib/errors';
import { FlowTextRepo, type FlowTextRow } from './flow-text-repo';

/** A refused text: the language it was in and why (the flow validator's sentence). */
export interface TextProblem {
  language: string;
  message: string;
}

/**
 * Node texts editors change in the console. The engine reads `node.text` at every step, so a saved text
 * is in the next screen shown; stored ones are laid over the YAML when the gateway starts. A text is
 * checked as `vasgw flows check` checks the YAML: every screen, paged, fits `ussd.maxChars`.
 */
export class FlowTexts {
  private readonly repo: FlowTextRepo;
  private readonly units: UnitOfWork;
  /** Settles once {@link applyStored} has laid the stored texts over the flows (the gateway awaits it before serving). */
  loaded: Promise<void> = Promise.resolve();

  constructor(
    storage: { database: Database; units: UnitOfWork },
    private readonly flows: FlowRegistry,
    private readonly clock: Clock,
    private readonly maxChars: number,
  ) {
    this.repo = new FlowTextRepo(storage.database);
    this.units = storage.units;
  }

  /** Lays the stored texts over the loaded flows (at start); texts of nodes no longer in a flow are skipped. */
  applyStored(): Promise<void> {
    this.loaded = this.repo.all().then((rows) => this.lay(rows));
    return this.loaded;
  }

  private lay(rows: FlowTextRow[]): void {
    for (const r of rows) {
      const node = this.flows.byId(r.flowId)?.nodes[r.nodeId];
      const flow = this.flows.byId(r.flowId);
      if (node && flow?.languages.includes(r.language)) {
        node.text[r.language] = r.text;
        forgetScreens(flow);
      }
    }
  }

  /** Who changed which node's text last, per node, for the console. */
  async changes(flowId: string): Promise<Map<string, FlowTextRow>> {
    const last = new Map<string, FlowTextRow>();
    for (const r of await this.repo.forFlow(flowId)) if ((last.get(r.nodeId)?.updatedAt ?? -1) < r.updatedAt) last.set(r.nodeId, r);
    return last;
  }

  /** What would be wrong with these texts on this node (empty: they fit), without saving anything. */
  problems(flow: Flow, nodeId: string, text: Localized): TextProblem[] {
    const trial = structuredClone(flow);
    const node = trial.nodes[nodeId] as FlowNode;
    Object.assign(node.text, text);
    const out: TextProblem[] = [];
    for (const [language, value] of Object.entries(text)) if (value.trim() === '') out.push({ language, message: 'empty' });
    for (const p of validateFlow(trial, { maxChars: this.maxChars })) {
      if (p.nodeId !== nodeId) continue;
      const language = Object.keys(text).find((l) => p.message.includes(`(${l})`) || p.message.includes(` in ${l}`)) ?? Object.keys(text)[0] ?? '';
      out.push({ language, message: p.message });
    }
    return out;
  }

  /**
   * Saves a node's texts (one per flow language given) in one unit of work, with whatever `within` writes
   * in it (the console's audit entry), and shows them from the next screen on once the unit is durable.
   */
  async change(flowId: string, nodeId: string, text: Localized, by: string, within?: (tx: Tx) => Promise<void>): Promise<void> {
    const flow = this.flows.byId(flowId);
    const node = flow?.nodes[nodeId];
    if (!flow || !node) throw notFound('NODE_NOT_FOUND', `There is no node ${nodeId} in flow ${flowId}.`);
    const unknown = Object.keys(text).find((l) => !flow.languages.includes(l));
    if (unknown) throw badRequest('LANGUAGE_NOT_IN_FLOW', `Flow ${flowId} is not written in ${unknown}.`);
    const problems = this.problems(flow, nodeId, text);
    if (problems.length > 0) throw badRequest('TEXT_DOES_NOT_FIT', problems.map((p) => `${p.language}: ${p.message}`).join('; '), problems);
    const now = this.clock.now();
    await this.units.unit(async (tx) => {
      await this.repo.save(Object.entries(text).map(([language, value]) => ({ flowId, nodeId, language, text: value, updatedAt: now, updatedBy: by })), tx);
      await within?.(tx);
    });
    // Shown only once saved: a unit that failed leaves the screens as they were.
    Object.assign(node.text, text);
    forgetScreens(flow);
  }
}
