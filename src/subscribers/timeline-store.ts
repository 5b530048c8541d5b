import { sql, type AnyColumn, type SQL } from 'drizzle-orm';
import type { Database, Statement } from '../db/database';
import { jsonText } from '../db/portable';
import { billingEvents, calls, crmFindings, crmInterventions, messages, sessions, subscriptions, usageEvents } from '../db/schema';

/** One thing that happened to a subscriber, as the console's timeline lists it. */
export type TimelineEntry =
  | { kind: 'session'; at: number; channel: string; flowId: string; status: string; endReason: string | null; hops: number }
  | { kind: 'sms_out'; at: number; text: string; status: string; reason: string | null; source: string; parts: number }
  | { kind: 'sms_in'; at: number; text: string | null }
  | { kind: 'call'; at: number; flowId: string; status: string; reason: string | null; durationSeconds: number | null }
  | { kind: 'billing'; at: number; serviceId: string; type: string; amountMinor: number | null; currency: string | null; reason: string | null }
  | { kind: 'finding'; at: number; finding: string; status: string; reason: string }
  | { kind: 'intervention'; at: number; intervention: string; finding: string; arm: string; channel: string; status: string };

type BySubscriber = { subscriberId: number; limit: number };
const p = <N extends string>(n: N) => sql.placeholder(n);
const cols = (c: Record<string, AnyColumn | SQL>): SQL =>
  sql.join(
    Object.entries(c).map(([k, v]) => sql`${v} AS ${sql.identifier(k)}`),
    sql`, `,
  );

/**
 * The newest rows of each table that records something about one subscriber (sessions, outbox, SMS in,
 * calls, billing events, findings, interventions). Every statement reads an index on the subscriber, so a
 * profile costs the same on a thousand subscribers as on a million. Findings of one pass share a moment
 * and come by kind, interventions of one moment by id; sessions, SMS and calls of the same millisecond
 * keep whatever order the subscriber index gives (a tie-break there would cost a sort of all their rows).
 */
export class TimelineStore {
  private readonly stmts: { [K in TimelineEntry['kind']]: Statement<Omit<Extract<TimelineEntry, { kind: K }>, 'kind'>, BySubscriber> };

  constructor(db: Database) {
    const s = sessions;
    const m = messages;
    const u = usageEvents;
    const c = calls;
    const b = billingEvents;
    const sub = subscriptions;
    const f = crmFindings;
    const i = crmInterventions;
    this.stmts = {
      session: db.statement(
        sql`SELECT ${cols({ at: s.startedAt, channel: s.channel, flowId: s.flowId, status: s.status, endReason: s.endReason, hops: s.hops })}
            FROM ${s} WHERE ${s.subscriberId} = ${p('subscriberId')} ORDER BY ${s.startedAt} DESC LIMIT ${p('limit')}`,
      ),
      sms_out: db.statement(
        sql`SELECT ${cols({ at: m.createdAt, text: m.text, status: m.status, reason: m.reason, source: m.source, parts: m.parts })}
            FROM ${m} WHERE ${m.subscriberId} = ${p('subscriberId')} ORDER BY ${m.createdAt} DESC LIMIT ${p('limit')}`,
      ),
      // SMS from a subscriber's phone are usage events (inbound_sms keeps only aggregator copies and non-numbers).
      sms_in: db.statement(
        sql`SELECT ${cols({ at: u.at, text: jsonText(db.dialect, u.detail, 'text') })}
            FROM ${u} WHERE ${u.subscriberId} = ${p('subscriberId')} AND ${u.type} = 'sms_in' ORDER BY ${u.id} DESC LIMIT ${p('limit')}`,
      ),
      call: db.statement(
        sql`SELECT ${cols({ at: c.createdAt, flowId: c.flowId, status: c.status, reason: c.reason, durationSeconds: c.durationSeconds })}
            FROM ${c} WHERE ${c.subscriberId} = ${p('subscriberId')} ORDER BY ${c.createdAt} DESC LIMIT ${p('limit')}`,
      ),
      billing: db.statement(
        sql`SELECT ${cols({ at: b.at, serviceId: sub.serviceId, type: b.type, amountMinor: b.amountMinor, currency: b.currency, reason: b.reason })}
            FROM ${sub} JOIN ${b} ON ${b.subscriptionId} = ${sub.id}
            WHERE ${sub.subscriberId} = ${p('subscriberId')} ORDER BY ${b.at} DESC, ${b.id} DESC LIMIT ${p('limit')}`,
      ),
      finding: db.statement(
        sql`SELECT ${cols({ at: f.detectedAt, finding: f.kind, status: f.status, reason: f.reason })}
            FROM ${f} WHERE ${f.subscriberId} = ${p('subscriberId')} ORDER BY ${f.detectedAt} DESC, ${f.kind} LIMIT ${p('limit')}`,
      ),
      intervention: db.statement(
        sql`SELECT ${cols({ at: i.at, intervention: i.kind, finding: i.findingKind, arm: i.arm, channel: i.channel, status: i.status })}
            FROM ${i} WHERE ${i.subscriberId} = ${p('subscriberId')} ORDER BY ${i.at} DESC, ${i.id} DESC LIMIT ${p('limit')}`,
      ),
    };
  }

  /** The store of `db` (one per database, so its statements are prepared once). */
  static of(db: Database): TimelineStore {
    let s = stores.get(db);
    if (!s) stores.set(db, (s = new TimelineStore(db)));
    return s;
  }

  /** The `limit` newest entries of every kind together, newest first. */
  async recent(subscriberId: number, limit: number): Promise<TimelineEntry[]> {
    const kinds = Object.keys(this.stmts) as TimelineEntry['kind'][];
    // The kinds are independent reads: on PostgreSQL they run side by side on the pool.
    const rows = await Promise.all(kinds.map((kind) => this.stmts[kind].all({ subscriberId, limit })));
    const all: TimelineEntry[] = [];
    kinds.forEach((kind, k) => {
      for (const row of rows[k]!) all.push({ kind, ...row } as TimelineEntry);
    });
    // Stable sort: entries at the same moment keep the order of the kinds above.
    return all.sort((a, b) => b.at - a.at).slice(0, limit);
  }
}

const stores = new WeakMap<Database, TimelineStore>();
