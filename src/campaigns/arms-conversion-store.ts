import { sql, type SQL } from 'drizzle-orm';
import { calls, campaignAssignments, campaigns, messages, pollAnswers, usageEvents } from '../db/schema';
import { acceptedParts } from '../reports/stores/delivery-store';
import type { CampaignGoal } from '../db/schema/campaigns';
import type { Dialect, Tx } from '../db/database';
import { json, jsonText } from '../db/portable';
import { name } from '../db/statement';
import { DAY } from '../lib/clock';

/** Keys in crm_state: the usage-log id read up to, and the time conversions were last counted. */
export const ARMS_CURSOR_KEY = 'armsUsageCursor';
export const ARMS_COUNTED_KEY = 'armsCountedAt';

const a = campaignAssignments;
const e = usageEvents;

/**
 * The CRM state as the unit-of-work count uses it: the cursor may be read and written through the
 * database (either engine), or through the synchronous SQLite state store while that is not converted.
 */
export interface ArmsCursorState {
  get<T>(key: string, fallback: T, tx?: Tx): T | Promise<T>;
  set(key: string, value: unknown, now: number, tx: Tx): void | Promise<void>;
}

type Costs = { currency: string; smsPart: number; call: number };

/**
 * Settles delivery and cost (settleDelivery below) and counts conversions of campaigns with arms into their assignment rows (`converted_at`: the first goal
 * event inside the window after the assignment). Run by the CRM pass: the usage-log events since the last
 * run (subscribed / renewed: `billing` events; reached_content: `content` events) are joined to the
 * assignments by (campaign, subscriber), so the work follows the new events, not the number of recipients;
 * answered reads the poll's counted answers. Returns how many assignments converted in this run.
 *
 * Everything is written in unit of work `tx`, on either engine. An assignment converts once: every
 * statement changes only rows whose `converted_at` is still empty, so a second pass over the same events
 * (or a pass that failed after counting and runs again) counts nothing twice.
 */
export async function countArmConversions(tx: Tx, state: ArmsCursorState, now: number, costs: Costs): Promise<number> {
  const q = armQueries(tx.dialect);
  const goals = (await tx.all<{ id: string; goal: unknown }>(q.goals)).map((r) => ({ id: r.id, goal: json<CampaignGoal>(r.goal) }));
  const to = num((await tx.get<{ m: unknown }>(q.lastEvent))?.m) ?? 0;
  let from = await state.get<number | null>(ARMS_CURSOR_KEY, null, tx);
  if (from === null) {
    // First count: start at the first event after the oldest assignment (the time index finds it).
    const oldest = num((await tx.get<{ t: unknown }>(q.oldestAssignment))?.t);
    from = oldest === null ? to : (num((await tx.get<{ m: unknown }>(q.eventBefore(oldest)))?.m) ?? to);
  }
  let converted = 0;
  for (const g of goals) for (const st of q.settle(g.id, costs)) await tx.run(st);
  for (const g of goals) {
    const windowMs = g.goal.windowDays * DAY;
    if (g.goal.type === 'answered') converted += await tx.run(q.answers(g.id, g.goal.pollId ?? '', windowMs));
    else if (to > from) converted += await tx.run(q.events(g.id, g.goal, windowMs, from, to));
  }
  await state.set(ARMS_CURSOR_KEY, to, now, tx);
  await state.set(ARMS_COUNTED_KEY, now, now, tx);
  return converted;
}

/** A count or id as a raw row returns it (PostgreSQL may hand a bigint aggregate back as text); null stays null. */
function num(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

/** The statements of a count, in the SQL both engines share (the JSON field reads differ). */
function armQueries(dialect: Dialect) {
  return {
    goals: sql`SELECT ${campaigns.id} AS "id", ${campaigns.goal} AS "goal" FROM ${campaigns} WHERE ${campaigns.goal} IS NOT NULL ORDER BY ${campaigns.id}`,
    lastEvent: sql`SELECT max(${e.id}) AS "m" FROM ${e}`,
    oldestAssignment: sql`SELECT min(${a.assignedAt}) AS "t" FROM ${a}`,
    eventBefore: (at: number) => sql`SELECT min(${e.id}) - 1 AS "m" FROM ${e} WHERE ${e.at} >= ${at}`,
    settle: (campaignId: string, costs: Costs) => settleDelivery(campaignId, costs),
    events: (campaignId: string, g: CampaignGoal, windowMs: number, from: number, to: number) => countEvents(dialect, campaignId, g, windowMs, from, to),
    answers: (campaignId: string, pollId: string, windowMs: number) => countAnswers(campaignId, pollId, windowMs),
  };
}

/** The usage events that count for a goal. */
function goalFilter(dialect: Dialect, g: CampaignGoal): SQL {
  if (g.type === 'reached_content') {
    const parts = [sql`${e.type} = 'content'`];
    if (g.flowId) parts.push(sql`${e.flowId} = ${g.flowId}`);
    if (g.nodeId) parts.push(sql`${e.nodeId} = ${g.nodeId}`);
    return sql.join(parts, sql` AND `);
  }
  const event = g.type === 'subscribed' ? 'subscribed' : 'renewed';
  const parts = [sql`${e.type} = 'billing'`, sql`${jsonText(dialect, e.detail, 'event')} = ${event}`];
  if (g.serviceId) parts.push(sql`${jsonText(dialect, e.detail, 'serviceId')} = ${g.serviceId}`);
  return sql.join(parts, sql` AND `);
}

function countEvents(dialect: Dialect, campaignId: string, g: CampaignGoal, windowMs: number, from: number, to: number): SQL {
  return sql`UPDATE ${a} SET ${name(a.convertedAt)} = x.at
        FROM (SELECT ${e.subscriberId} AS sid, min(${e.at}) AS at FROM ${e}
              JOIN ${a} ON ${a.campaignId} = ${campaignId} AND ${a.subscriberId} = ${e.subscriberId}
              WHERE ${e.id} > ${from} AND ${e.id} <= ${to} AND ${goalFilter(dialect, g)}
                AND ${a.convertedAt} IS NULL AND ${e.at} >= ${a.assignedAt} AND ${e.at} <= ${a.assignedAt} + ${windowMs}
              GROUP BY ${e.subscriberId}) AS x
        WHERE ${a.campaignId} = ${campaignId} AND ${a.subscriberId} = x.sid AND ${a.convertedAt} IS NULL`;
}

function countAnswers(campaignId: string, pollId: string, windowMs: number): SQL {
  const pa = pollAnswers;
  return sql`UPDATE ${a} SET ${name(a.convertedAt)} = x.at
        FROM (SELECT ${pa.subscriberId} AS sid, ${pa.at} AS at FROM ${pa} WHERE ${pa.pollId} = ${pollId}) AS x
        WHERE ${a.campaignId} = ${campaignId} AND ${a.subscriberId} = x.sid AND ${a.convertedAt} IS NULL
          AND x.at >= ${a.assignedAt} AND x.at <= ${a.assignedAt} + ${windowMs}`;
}

/**
 * Copies onto the campaign's unsettled assignments what became of their SMS or call: when it reached the
 * subscriber (delivered, answered) and what it cost (SMS parts the SMSC accepted at the configured price,
 * an answered call at what the provider billed, else the configured price). Once the message or call is
 * final the row is settled and never read again, so each pass touches only what is still in flight.
 */
function settleDelivery(campaignId: string, costs: Costs): SQL[] {
  const m = messages;
  const c = calls;
  const unsettled = sql`${a.campaignId} = ${campaignId} AND ${a.settled} = false`;
  return [
    sql`UPDATE ${a} SET ${name(a.reachedAt)} = CASE WHEN ${m.status} = 'delivered' THEN coalesce(${m.deliveredAt}, ${m.finalAt}, ${m.updatedAt}) END,
          ${name(a.costMinor)} = round(${Math.round(costs.smsPart * 100)} * (${acceptedParts()})),
          ${name(a.settled)} = ${m.status} IN ('delivered', 'failed', 'expired', 'blocked')
        FROM ${m} WHERE ${unsettled} AND ${a.channel} = 'sms' AND ${m.id} = ${a.ref}`,
    sql`UPDATE ${a} SET ${name(a.reachedAt)} = ${c.answeredAt},
          ${name(a.costMinor)} = CASE WHEN ${c.answeredAt} IS NULL THEN 0
            WHEN ${c.amount} IS NOT NULL AND (${c.currency} IS NULL OR upper(${c.currency}) = upper(${costs.currency})) THEN round(${c.amount} * 100)
            ELSE ${Math.round(costs.call * 100)} END,
          ${name(a.settled)} = ${c.status} IN ('completed', 'no_answer', 'busy', 'failed', 'blocked', 'cancelled')
        FROM ${c} WHERE ${unsettled} AND ${a.channel} = 'call' AND ${c.id} = ${a.ref}`,
  ];
}
