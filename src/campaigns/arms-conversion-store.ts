import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { calls, campaignAssignments, campaigns, messages, pollAnswers, usageEvents } from '../db/schema';
import { acceptedParts } from '../reports/stores/delivery-store';
import type { CampaignGoal } from '../db/schema/campaigns';
import { name, prepare } from '../db/statement';
import { DAY } from '../lib/clock';

/** Keys in crm_state: the usage-log id read up to, and the time conversions were last counted. */
export const ARMS_CURSOR_KEY = 'armsUsageCursor';
export const ARMS_COUNTED_KEY = 'armsCountedAt';

/** Small persistent values (the CRM's state store). */
export interface ArmsState {
  get<T>(key: string, fallback: T): T;
  set(key: string, value: unknown, now: number): void;
}

const a = campaignAssignments;
const e = usageEvents;

/**
 * Settles delivery and cost (settleDelivery below) and counts conversions of campaigns with arms into their assignment rows (`converted_at`: the first goal
 * event inside the window after the assignment). Run by the CRM pass: the usage-log events since the last
 * run (subscribed / renewed: `billing` events; reached_content: `content` events) are joined to the
 * assignments by (campaign, subscriber), so the work follows the new events, not the number of recipients;
 * answered reads the poll's counted answers. Returns how many assignments converted in this run.
 */
export function countArmConversions(db: Db, state: ArmsState, now: number, costs: { currency: string; smsPart: number; call: number }): number {
  const goals = prepare<{ id: string; goal: string }>(db, sql`SELECT ${campaigns.id} AS id, ${campaigns.goal} AS goal FROM ${campaigns} WHERE ${campaigns.goal} IS NOT NULL`)
    .all()
    .map((r) => ({ id: r.id, goal: JSON.parse(r.goal) as CampaignGoal }));
  const to = prepare<{ m: number | null }>(db, sql`SELECT max(${e.id}) AS m FROM ${e}`).get()?.m ?? 0;
  let from = state.get<number | null>(ARMS_CURSOR_KEY, null);
  if (from === null) {
    // First count: start at the first event after the oldest assignment (the time index finds it).
    const oldest = prepare<{ t: number | null }>(db, sql`SELECT min(${a.assignedAt}) AS t FROM ${a}`).get()?.t ?? null;
    from = oldest === null ? to : (prepare<{ m: number | null }>(db, sql`SELECT min(${e.id}) - 1 AS m FROM ${e} WHERE ${e.at} >= ${oldest}`).get()?.m ?? to);
  }
  let converted = 0;
  for (const g of goals) settleDelivery(db, g.id, costs);
  for (const g of goals) {
    const windowMs = g.goal.windowDays * DAY;
    if (g.goal.type === 'answered') converted += countAnswers(db, g.id, g.goal.pollId ?? '', windowMs);
    else if (to > from) converted += countEvents(db, g.id, g.goal, windowMs, from, to);
  }
  state.set(ARMS_CURSOR_KEY, to, now);
  state.set(ARMS_COUNTED_KEY, now, now);
  return converted;
}

/** The usage events that count for a goal. */
function goalFilter(g: CampaignGoal): SQL {
  if (g.type === 'reached_content') {
    const parts = [sql`${e.type} = 'content'`];
    if (g.flowId) parts.push(sql`${e.flowId} = ${g.flowId}`);
    if (g.nodeId) parts.push(sql`${e.nodeId} = ${g.nodeId}`);
    return sql.join(parts, sql` AND `);
  }
  const event = g.type === 'subscribed' ? 'subscribed' : 'renewed';
  const parts = [sql`${e.type} = 'billing'`, sql`json_extract(${e.detail}, '$.event') = ${event}`];
  if (g.serviceId) parts.push(sql`json_extract(${e.detail}, '$.serviceId') = ${g.serviceId}`);
  return sql.join(parts, sql` AND `);
}

function countEvents(db: Db, campaignId: string, g: CampaignGoal, windowMs: number, from: number, to: number): number {
  return prepare(
    db,
    sql`UPDATE ${a} SET ${name(a.convertedAt)} = x.at
        FROM (SELECT ${e.subscriberId} AS sid, min(${e.at}) AS at FROM ${e}
              JOIN ${a} ON ${a.campaignId} = ${campaignId} AND ${a.subscriberId} = ${e.subscriberId}
              WHERE ${e.id} > ${from} AND ${e.id} <= ${to} AND ${goalFilter(g)}
                AND ${a.convertedAt} IS NULL AND ${e.at} >= ${a.assignedAt} AND ${e.at} <= ${a.assignedAt} + ${windowMs}
              GROUP BY ${e.subscriberId}) AS x
        WHERE ${a.campaignId} = ${campaignId} AND ${a.subscriberId} = x.sid AND ${a.convertedAt} IS NULL`,
  ).run();
}

function countAnswers(db: Db, campaignId: string, pollId: string, windowMs: number): number {
  const pa = pollAnswers;
  return prepare(
    db,
    sql`UPDATE ${a} SET ${name(a.convertedAt)} = x.at
        FROM (SELECT ${pa.subscriberId} AS sid, ${pa.at} AS at FROM ${pa} WHERE ${pa.pollId} = ${pollId}) AS x
        WHERE ${a.campaignId} = ${campaignId} AND ${a.subscriberId} = x.sid AND ${a.convertedAt} IS NULL
          AND x.at >= ${a.assignedAt} AND x.at <= ${a.assignedAt} + ${windowMs}`,
  ).run();
}

/**
 * Copies onto the campaign's unsettled assignments what became of their SMS or call: when it reached the
 * subscriber (delivered, answered) and what it cost (SMS parts the SMSC accepted at the configured price,
 * an answered call at what the provider billed, else the configured price). Once the message or call is
 * final the row is settled and never read again, so each pass touches only what is still in flight.
 */
function settleDelivery(db: Db, campaignId: string, costs: { currency: string; smsPart: number; call: number }): void {
  const m = messages;
  const c = calls;
  const unsettled = sql`${a.campaignId} = ${campaignId} AND ${a.settled} = false`;
  prepare(
    db,
    sql`UPDATE ${a} SET ${name(a.reachedAt)} = CASE WHEN ${m.status} = 'delivered' THEN coalesce(${m.deliveredAt}, ${m.finalAt}, ${m.updatedAt}) END,
          ${name(a.costMinor)} = round(${Math.round(costs.smsPart * 100)} * (${acceptedParts()})),
          ${name(a.settled)} = ${m.status} IN ('delivered', 'failed', 'expired', 'blocked')
        FROM ${m} WHERE ${unsettled} AND ${a.channel} = 'sms' AND ${m.id} = ${a.ref}`,
  ).run();
  prepare(
    db,
    sql`UPDATE ${a} SET ${name(a.reachedAt)} = ${c.answeredAt},
          ${name(a.costMinor)} = CASE WHEN ${c.answeredAt} IS NULL THEN 0
            WHEN ${c.amount} IS NOT NULL AND (${c.currency} IS NULL OR upper(${c.currency}) = upper(${costs.currency})) THEN round(${c.amount} * 100)
            ELSE ${Math.round(costs.call * 100)} END,
          ${name(a.settled)} = ${c.status} IN ('completed', 'no_answer', 'busy', 'failed', 'blocked', 'cancelled')
        FROM ${c} WHERE ${unsettled} AND ${a.channel} = 'call' AND ${c.id} = ${a.ref}`,
  ).run();
}
