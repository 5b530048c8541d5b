import path from 'node:path';
import type { FlowIndex } from '../crm/flow-index';
import { wilson } from '../crm/experiments';
import { rate, type ReportRange } from './range';
import type { ContextReportStore, ContextRow } from './stores/context-store';

const round4 = (x: number) => Math.round(x * 10000) / 10000;

/**
 * Advice served outside its context (issue 15, journey 6): per content node that declares (or inherits)
 * a context, how often it was served in the range and how often outside its months (the subscriber's
 * local month), its regions or its crops, worst first. Serves to subscribers without a region or crops
 * on their profile are counted as unknown, never as outside. Read from the CRM pass's daily rollup.
 */
export async function contextReport(store: ContextReportStore, flows: FlowIndex, r: ReportRange, limit: number): Promise<Record<string, unknown>> {
  const rows = new Map<string, ContextRow>();
  for (const row of await store.between(r.fromDay, r.toDay, r.flow)) rows.set(`${row.flowId}\u0000${row.nodeId}`, row);
  // Nodes with a context that nobody reached in the range are listed too (served 0): nothing to fix there yet.
  const declared = flows.contextNodes().filter((n) => !r.flow || n.flowId === r.flow);
  for (const n of declared) {
    const key = `${n.flowId}\u0000${n.nodeId}`;
    if (!rows.has(key)) rows.set(key, { flowId: n.flowId, nodeId: n.nodeId, served: 0, outsideAny: 0, outsideMonths: 0, outsideRegions: 0, outsideCrops: 0, regionUnknown: 0, cropsUnknown: 0 });
  }
  const totals = { served: 0, outsideAny: 0 };
  const nodes = [...rows.values()].map((row) => {
    totals.served += row.served;
    totals.outsideAny += row.outsideAny;
    const [lo, hi] = wilson(row.outsideAny, row.served);
    const src = flows.source(row.flowId, row.nodeId);
    return {
      flowId: row.flowId,
      nodeId: row.nodeId,
      label: flows.topic(row.flowId, row.nodeId, null),
      context: flows.context(row.flowId, row.nodeId),
      file: src ? path.basename(src.file) : null,
      line: src?.line ?? null,
      served: row.served,
      outside: { any: row.outsideAny, months: row.outsideMonths, regions: row.outsideRegions, crops: row.outsideCrops },
      share: { any: rate(row.outsideAny, row.served), months: rate(row.outsideMonths, row.served), regions: rate(row.outsideRegions, row.served), crops: rate(row.outsideCrops, row.served) },
      shareCi95: row.served > 0 ? [round4(lo), round4(hi)] : null,
      unknown: { region: row.regionUnknown, crops: row.cropsUnknown },
    };
  });
  nodes.sort((a, b) => b.outside.any - a.outside.any || (b.share.any ?? 0) - (a.share.any ?? 0) || b.served - a.served || a.flowId.localeCompare(b.flowId) || a.nodeId.localeCompare(b.nodeId));
  return {
    served: totals.served,
    outsideAny: totals.outsideAny,
    shareOutside: rate(totals.outsideAny, totals.served),
    nodes: nodes.slice(0, limit),
    ...(r.channel ? { note: 'The context report counts every channel together; the channel filter does not apply.' } : {}),
  };
}
