import type { FlowIndex } from '../crm/flow-index';
import { iso } from '../lib/clock';
import type { ReportRange } from './range';
import type { StuckStore } from './stores/stuck-store';

/**
 * Stuck subscribers and what they were looking for: the stuck findings detected in the range, newest
 * first, with the menu each one kept failing in and its shortcut, plus the menus people get stuck in most.
 */
export async function stuckReport(store: StuckStore, flows: FlowIndex, r: ReportRange, limit: number): Promise<Record<string, unknown>> {
  const [top, total, rows] = await Promise.all([store.mostSought(r), store.count(r), store.newest(r, limit)]);
  return {
    subscribers: total,
    mostSought: top.map((t) => ({
      flowId: t.flowId,
      nodeId: t.nodeId,
      topic: t.flowId && t.nodeId ? flows.topic(t.flowId, t.nodeId, null) : null,
      shortcut: t.flowId && t.nodeId ? flows.shortcut(t.flowId, t.nodeId) : null,
      subscribers: t.n,
    })),
    list: rows.map((row) => {
      const d = row.detail as { flowId?: string; nodeId?: string | null; shortcut?: string | null; channel?: string; stuckSessions?: number; discoveryRate?: number };
      return {
        msisdn: row.msisdn,
        language: row.language,
        region: row.region,
        crop: row.crop,
        detectedAt: iso(row.detectedAt),
        reason: row.reason,
        channel: d.channel ?? null,
        sought: { flowId: d.flowId ?? null, nodeId: d.nodeId ?? null, topic: d.flowId && d.nodeId ? flows.topic(d.flowId, d.nodeId, row.language) : null, shortcut: d.shortcut ?? null },
        stuckSessions: d.stuckSessions ?? null,
        firstAttemptRate: d.discoveryRate ?? null,
        status: row.status,
        ...(row.intervention ? { intervention: { kind: row.intervention, arm: row.arm, status: row.decision, delivery: row.delivery } } : {}),
      };
    }),
  };
}
