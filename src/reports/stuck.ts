import type { Db } from '../db/client';
import type { FlowIndex } from '../crm/flow-index';
import { iso } from '../lib/clock';
import { callStateSql } from './delivery';
import type { ReportRange } from './range';

/**
 * Stuck subscribers and what they were looking for: the stuck findings detected in the range, newest
 * first, with the menu each one kept failing in and its shortcut, plus the menus people get stuck in most.
 */
export function stuckReport(db: Db, flows: FlowIndex, r: ReportRange, limit: number): Record<string, unknown> {
  const where = ["f.kind = 'stuck'", 'f.detected_at BETWEEN ? AND ?'];
  const args: unknown[] = [r.from, r.to];
  if (r.channel) {
    where.push("json_extract(f.detail, '$.channel') = ?");
    args.push(r.channel);
  }
  if (r.flow) {
    where.push("json_extract(f.detail, '$.flowId') = ?");
    args.push(r.flow);
  }
  const c = db.$client;
  const top = c
    .prepare(
      `SELECT json_extract(f.detail, '$.flowId') AS flow_id, json_extract(f.detail, '$.nodeId') AS node_id, count(*) AS n
       FROM crm_findings f WHERE ${where.join(' AND ')} GROUP BY 1, 2 ORDER BY n DESC LIMIT 20`,
    )
    .all(...args) as { flow_id: string | null; node_id: string | null; n: number }[];
  const total = (c.prepare(`SELECT count(*) AS n FROM crm_findings f WHERE ${where.join(' AND ')}`).get(...args) as { n: number }).n;
  const rows = c
    .prepare(
      `SELECT s.msisdn, s.language, s.region, s.crop, f.reason, f.status, f.detail, f.detected_at, i.kind AS intervention, i.arm, i.status AS decision,
         CASE WHEN i.arm = 'holdout' THEN NULL WHEN i.channel = 'sms' THEN coalesce(m.status, i.status) WHEN cl.id IS NOT NULL THEN ${callStateSql('cl')} ELSE i.status END AS delivery
       FROM crm_findings f JOIN subscribers s ON s.id = f.subscriber_id LEFT JOIN crm_interventions i ON i.id = f.intervention_id
       LEFT JOIN messages m ON i.channel = 'sms' AND m.id = i.message_id LEFT JOIN calls cl ON i.channel = 'call' AND cl.id = i.call_id
       WHERE ${where.join(' AND ')} ORDER BY f.detected_at DESC, f.id DESC LIMIT ?`,
    )
    .all(...args, limit) as {
    msisdn: string;
    language: string | null;
    region: string | null;
    crop: string | null;
    reason: string;
    status: string;
    detail: string;
    detected_at: number;
    intervention: string | null;
    arm: string | null;
    decision: string | null;
    delivery: string | null;
  }[];
  return {
    subscribers: total,
    mostSought: top.map((t) => ({
      flowId: t.flow_id,
      nodeId: t.node_id,
      topic: t.flow_id && t.node_id ? flows.topic(t.flow_id, t.node_id, null) : null,
      shortcut: t.flow_id && t.node_id ? flows.shortcut(t.flow_id, t.node_id) : null,
      subscribers: t.n,
    })),
    list: rows.map((row) => {
      const d = JSON.parse(row.detail) as { flowId?: string; nodeId?: string | null; shortcut?: string | null; channel?: string; stuckSessions?: number; discoveryRate?: number };
      return {
        msisdn: row.msisdn,
        language: row.language,
        region: row.region,
        crop: row.crop,
        detectedAt: iso(row.detected_at),
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
