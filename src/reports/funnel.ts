import type { Db } from '../db/client';
import type { FlowIndex } from '../crm/flow-index';
import { histogramMedian, mergeHistogram } from '../crm/dwell';
import { rate, rollupWhere, type ReportRange } from './range';

interface NodeRow {
  flow_id: string;
  node_id: string;
  views: number;
  sessions: number;
  invalid: number;
  backs: number;
  exits: string;
  dropoffs: number;
  dwell: string;
}

type NodeTotals = { views: number; sessions: number; invalid: number; backs: number; exits: Record<string, number>; dropoffs: number; dwell: number[] };

/**
 * Flow funnel per node: how many times each screen was shown and by how many sessions, invalid-input
 * rate, backs, where sessions ended and why, drop-off (ended here without any content), median dwell.
 * Sums the daily node rollups; never reads the usage log.
 */
export function funnelReport(db: Db, flows: FlowIndex, r: ReportRange): Record<string, unknown> {
  const w = rollupWhere(r);
  const rows = db.$client.prepare(`SELECT flow_id, node_id, views, sessions, invalid, backs, exits, dropoffs, dwell FROM crm_node_daily WHERE ${w.sql}`).all(...w.args) as NodeRow[];
  const byFlow = new Map<string, Map<string, NodeTotals>>();
  for (const row of rows) {
    let nodes = byFlow.get(row.flow_id);
    if (!nodes) byFlow.set(row.flow_id, (nodes = new Map<string, NodeTotals>()));
    let a = nodes.get(row.node_id);
    if (!a) nodes.set(row.node_id, (a = { views: 0, sessions: 0, invalid: 0, backs: 0, exits: {}, dropoffs: 0, dwell: [] }));
    a.views += row.views;
    a.sessions += row.sessions;
    a.invalid += row.invalid;
    a.backs += row.backs;
    a.dropoffs += row.dropoffs;
    for (const [k, v] of Object.entries(JSON.parse(row.exits) as Record<string, number>)) a.exits[k] = (a.exits[k] ?? 0) + v;
    mergeHistogram(a.dwell, JSON.parse(row.dwell) as number[]);
  }
  const sw = rollupWhere(r);
  const totals = db.$client
    .prepare(`SELECT flow_id, sum(sessions) AS sessions, sum(content_sessions) AS content FROM crm_session_daily WHERE ${sw.sql} GROUP BY flow_id`)
    .all(...sw.args) as { flow_id: string; sessions: number; content: number }[];
  const total = new Map(totals.map((t) => [t.flow_id, t]));
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
              exits: { total: exits, ...a.exits },
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
