import type { FlowIndex } from '../crm/flow-index';
import { keysInOrder } from '../db/portable';
import { END_REASONS } from '../engine/types';
import { histogramMedian, mergeHistogram } from '../crm/dwell';
import { rate, type ReportRange } from './range';
import type { FunnelStore } from './stores/funnel-store';

type NodeTotals = { views: number; sessions: number; invalid: number; backs: number; exits: Record<string, number>; dropoffs: number; dwell: number[] };

/**
 * Flow funnel per node: how many times each screen was shown and by how many sessions, invalid-input
 * rate, backs, where sessions ended and why, drop-off (ended here without any content), median dwell.
 * Sums the daily node rollups; never reads the usage log.
 */
export async function funnelReport(store: FunnelStore, flows: FlowIndex, r: ReportRange): Promise<Record<string, unknown>> {
  const byFlow = new Map<string, Map<string, NodeTotals>>();
  for (const row of await store.nodeDays(r)) {
    let nodes = byFlow.get(row.flowId);
    if (!nodes) byFlow.set(row.flowId, (nodes = new Map<string, NodeTotals>()));
    let a = nodes.get(row.nodeId);
    if (!a) nodes.set(row.nodeId, (a = { views: 0, sessions: 0, invalid: 0, backs: 0, exits: {}, dropoffs: 0, dwell: [] }));
    a.views += row.views;
    a.sessions += row.sessions;
    a.invalid += row.invalid;
    a.backs += row.backs;
    a.dropoffs += row.dropoffs;
    for (const [k, v] of Object.entries(row.exits)) a.exits[k] = (a.exits[k] ?? 0) + v;
    mergeHistogram(a.dwell, row.dwell);
  }
  const total = new Map((await store.flowSessions(r)).map((t) => [t.flowId, t]));
  return {
    flows: [...byFlow].map(([flowId, nodes]) => {
      const t = total.get(flowId);
      return {
        flowId,
        sessions: t?.sessions ?? 0,
        contentSessions: t?.content ?? 0,
        nodes: [...nodes]
          .map(([nodeId, a]) => {
            const info = flows.info(flowId, nodeId);
            const exits = Object.values(a.exits).reduce((s, v) => s + v, 0);
            return {
              nodeId,
              type: info?.type ?? (nodeId === '_language' ? 'language' : nodeId === '_resume' ? 'resume' : 'unknown'),
              depth: info?.depth ?? null,
              label: info ? flows.topic(flowId, nodeId, null) : null,
              shortcut: info && info.depth !== null ? flows.shortcut(flowId, nodeId) : null,
              views: a.views,
              sessions: a.sessions,
              invalidInputs: a.invalid,
              invalidRate: rate(a.invalid, a.views),
              backs: a.backs,
              exits: { total: exits, ...keysInOrder(a.exits, END_REASONS) },
              dropoffs: a.dropoffs,
              dropoffRate: rate(a.dropoffs, a.sessions),
              medianDwellSeconds: histogramMedian(a.dwell),
            };
          })
          .sort((x, y) => (x.depth ?? -1) - (y.depth ?? -1) || y.sessions - x.sessions || x.nodeId.localeCompare(y.nodeId)),
      };
    }),
  };
}
