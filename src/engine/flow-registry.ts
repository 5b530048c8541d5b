import { normalizeUssdCode, parseDialled } from './shortcuts';
import type { ContentNode, Flow } from './types';

/**
 * All loaded flows, looked up by what a channel knows: the dialled USSD string (with shortcut digits), the
 * IVR number called, an SMS keyword on a short code, or the flow id (API, campaigns, CRM calls).
 */
export class FlowRegistry {
  private readonly byIdMap = new Map<string, Flow>();
  private readonly ussd = new Map<string, Flow>();
  private readonly ivr = new Map<string, Flow>();
  private readonly sms = new Map<string, { flow: Flow; node: string; shortCode?: string }[]>();

  constructor(flows: Flow[]) {
    for (const flow of flows) {
      this.byIdMap.set(flow.id, flow);
      for (const c of flow.entry.ussd) this.ussd.set(normalizeUssdCode(c), flow);
      for (const n of flow.entry.ivr) this.ivr.set(digits(n), flow);
      for (const s of flow.entry.sms) {
        const k = s.keyword.toUpperCase();
        const list = this.sms.get(k) ?? [];
        list.push(s.shortCode ? { flow, node: s.node, shortCode: s.shortCode } : { flow, node: s.node });
        this.sms.set(k, list);
      }
    }
  }

  /** Every flow, in load order. */
  all(): Flow[] {
    return [...this.byIdMap.values()];
  }

  /** The flow with this id. */
  byId(id: string): Flow | undefined {
    return this.byIdMap.get(id);
  }

  /** The flow for a dialled string, with any shortcut inputs: `*384*1*1*2#` -> crop-advice + ['1','2']. */
  byUssd(dialled: string): { flow: Flow; base: string; shortcut: string[] } | null {
    // Most dials are a base code as stored (already normalized): the longest match is that code itself.
    const exact = this.ussd.get(dialled);
    if (exact) return { flow: exact, base: dialled, shortcut: [] };
    const parsed = parseDialled(dialled, this.ussd.keys());
    if (!parsed) return null;
    return { flow: this.ussd.get(parsed.base)!, base: parsed.base, shortcut: parsed.inputs };
  }

  /** The flow answering calls to an IVR number (compared by digits: `+254711082000` = `254711082000`). */
  byIvrNumber(number: string): Flow | undefined {
    return this.ivr.get(digits(number));
  }

  /**
   * The content an SMS asks for by keyword (the first word, any case), on `shortCode` when given. An entry
   * bound to a short code wins over one that answers on every short code.
   */
  bySmsKeyword(text: string, shortCode?: string): { flow: Flow; node: ContentNode; keyword: string } | null {
    const keyword = text.trim().split(/\s+/)[0]?.toUpperCase() ?? '';
    const list = this.sms.get(keyword);
    if (!list) return null;
    const hit =
      (shortCode !== undefined ? list.find((e) => e.shortCode === shortCode) : undefined) ??
      list.find((e) => e.shortCode === undefined) ??
      (shortCode === undefined ? list[0] : undefined);
    const node = hit?.flow.nodes[hit.node];
    if (!hit || node?.type !== 'content') return null;
    return { flow: hit.flow, node, keyword };
  }
}

function digits(s: string): string {
  return s.replace(/\D/g, '');
}
