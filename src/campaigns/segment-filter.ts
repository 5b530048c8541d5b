import { Type, type Static } from '@sinclair/typebox';
import { DAY } from '../lib/clock';
import { COLUMN_FIELDS, type ProfileSchema } from '../subscribers/profile-schema';

/**
 * The segment filter: every given key must hold (AND); a list inside one key means any of its values
 * (OR). Profile values match case-insensitively ("Nakuru" = "nakuru"). Opted-out subscribers are left
 * out unless `includeOptedOut` is true, so the count preview is the number a promotional send can reach.
 */
const OneOrMany = Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 500 })]);

export const SUBSCRIPTION_STATES = ['none', 'pending', 'active', 'grace', 'suspended', 'cancelled', 'expired'] as const;
const SubscriptionState = Type.Union(SUBSCRIPTION_STATES.map((s) => Type.Literal(s)));

const Days = Type.Number({ exclusiveMinimum: 0, maximum: 3650 });
const Age = Type.Integer({ minimum: 0, maximum: 150 });

/** A range of an integer or number field: either bound may be left out. */
export const NumberRange = Type.Object({ min: Type.Optional(Type.Number()), max: Type.Optional(Type.Number()) }, { additionalProperties: false, minProperties: 1 });
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
/** A range of a date field (YYYY-MM-DD, both ends included). */
export const DateRange = Type.Object({ from: Type.Optional(Day), to: Type.Optional(Day) }, { additionalProperties: false, minProperties: 1 });

export const SegmentFilterSchema = Type.Object(
  {
    region: Type.Optional(OneOrMany),
    crop: Type.Optional(OneOrMany),
    language: Type.Optional(OneOrMany),
    operator: Type.Optional(OneOrMany),
    /**
     * Typed profile fields (config `profile.fields`): enum, string and list fields take a value or values
     * (a list field matches when it contains any of them); integer and number fields `{min, max}`; dates
     * `{from, to}`.
     */
    profile: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z][a-zA-Z0-9_]{0,31}$' }), Type.Union([OneOrMany, NumberRange, DateRange]))),
    /** Age in years (this year minus birthYear), both ends included. */
    ageMin: Type.Optional(Age),
    ageMax: Type.Optional(Age),
    /** State of a subscription; with `service`, of that service's subscription. `none` = no live subscription. */
    subscriptionState: Type.Optional(Type.Union([SubscriptionState, Type.Array(SubscriptionState, { minItems: 1 })])),
    service: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    /** Activity: seen (any channel) within the last N days, or not seen for at least N days. */
    lastSeenWithinDays: Type.Optional(Days),
    notSeenForDays: Type.Optional(Days),
    /** Never heard from (e.g. imported and never dialled): true matches only them, false leaves them out. */
    neverSeen: Type.Optional(Type.Boolean()),
    /** Content reached (a `content` usage event), optionally of one flow or node, within N days. */
    content: Type.Optional(
      Type.Object(
        {
          reached: Type.Boolean(),
          flowId: Type.Optional(Type.String({ minLength: 1 })),
          nodeId: Type.Optional(Type.String({ minLength: 1 })),
          withinDays: Type.Optional(Days),
        },
        { additionalProperties: false },
      ),
    ),
    /** CRM flags currently set (any of the given kinds). */
    crmFlags: Type.Optional(OneOrMany),
    /** Poll answers: answered or not, or answered with one of these answer indexes (NPS: scores). */
    poll: Type.Optional(
      Type.Object(
        {
          pollId: Type.String({ minLength: 1 }),
          answered: Type.Optional(Type.Boolean()),
          answers: Type.Optional(Type.Array(Type.Integer({ minimum: 0, maximum: 100 }), { minItems: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    includeOptedOut: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export type SegmentFilter = Static<typeof SegmentFilterSchema>;

/** A WHERE clause over `subscribers s` with its parameters. */
export interface CompiledFilter {
  where: string;
  params: (string | number)[];
}

/** Tables other domains own that a filter may read (present only once their schema exists). */
export interface FilterTables {
  subscriptions: boolean;
  crmFlags: { table: string; subscriberColumn: string; kindColumn: string; activeCondition: string } | null;
}

const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
const lowerList = (v: string | string[]) => list(v).map((x) => x.toLowerCase());
const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/**
 * Compiles a validated filter into SQL over `subscribers s`, evaluated as of `now`. Set-based on
 * purpose: the same clause counts a segment and fills a campaign run with INSERT ... SELECT.
 */
export function compileFilter(f: SegmentFilter, now: number, tables: FilterTables, schema?: Pick<ProfileSchema, 'field'>): CompiledFilter {
  const clauses: string[] = [];
  const params: (string | number)[] = [];
  for (const col of ['region', 'crop', 'language', 'operator'] as const) {
    const v = f[col];
    if (v === undefined) continue;
    const vals = lowerList(v);
    clauses.push(`lower(s.${col}) IN (${marks(vals.length)})`);
    params.push(...vals);
  }
  for (const [field, v] of Object.entries(f.profile ?? {})) {
    const type = schema?.field(field)?.type;
    const path = `$.${field}`;
    if (typeof v === 'object' && !Array.isArray(v)) {
      // Ranges: json_extract compares numbers as numbers and YYYY-MM-DD texts in date order.
      const [lo, hi] = 'from' in v || 'to' in v ? [(v as { from?: string }).from, (v as { to?: string }).to] : [(v as { min?: number }).min, (v as { max?: number }).max];
      const col = (COLUMN_FIELDS as readonly string[]).includes(field) ? `s.${field}` : 'json_extract(s.profile, ?)';
      for (const [bound, op] of [[lo, '>='], [hi, '<=']] as const) {
        if (bound === undefined) continue;
        clauses.push(`${col} ${op} ?`);
        if (col !== `s.${field}`) params.push(path);
        params.push(bound);
      }
      continue;
    }
    const vals = lowerList(v);
    if ((COLUMN_FIELDS as readonly string[]).includes(field)) {
      clauses.push(`lower(s.${field}) IN (${marks(vals.length)})`);
      params.push(...vals);
    } else if (type === 'list') {
      clauses.push(`EXISTS (SELECT 1 FROM json_each(s.profile, ?) j WHERE lower(j.value) IN (${marks(vals.length)}))`);
      params.push(path, ...vals);
    } else {
      clauses.push(`lower(json_extract(s.profile, ?)) IN (${marks(vals.length)})`);
      params.push(path, ...vals);
    }
  }
  if (f.ageMin !== undefined || f.ageMax !== undefined) {
    // Age as reached this year: birth years are all the profile knows.
    const year = new Date(now).getUTCFullYear();
    clauses.push("json_type(s.profile, '$.birthYear') = 'integer'");
    if (f.ageMin !== undefined) {
      clauses.push("json_extract(s.profile, '$.birthYear') <= ?");
      params.push(year - f.ageMin);
    }
    if (f.ageMax !== undefined) {
      clauses.push("json_extract(s.profile, '$.birthYear') >= ?");
      params.push(year - f.ageMax);
    }
  }
  if (f.subscriptionState !== undefined || f.service !== undefined) {
    if (!tables.subscriptions) throw new Error('subscription filters need the subscriptions table');
    const states = f.subscriptionState === undefined ? ['active', 'grace', 'suspended', 'pending'] : list(f.subscriptionState);
    const service = f.service !== undefined ? ' AND sub.service_id = ?' : '';
    const live = states.filter((s) => s !== 'none');
    const parts: string[] = [];
    if (live.length > 0) {
      parts.push(`EXISTS (SELECT 1 FROM subscriptions sub WHERE sub.subscriber_id = s.id AND sub.state IN (${marks(live.length)})${service})`);
      params.push(...live);
      if (f.service !== undefined) params.push(f.service);
    }
    if (states.includes('none')) {
      // No subscription that is (or is about to be) live: never subscribed, cancelled or expired.
      parts.push(`NOT EXISTS (SELECT 1 FROM subscriptions sub WHERE sub.subscriber_id = s.id AND sub.state IN ('pending', 'active', 'grace', 'suspended')${service})`);
      if (f.service !== undefined) params.push(f.service);
    }
    clauses.push(parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`);
  }
  // Never-seen subscribers (last_seen_at NULL, e.g. imported) match neither: they were not seen recently
  // and have not gone quiet either (`neverSeen: true` finds them).
  if (f.lastSeenWithinDays !== undefined) {
    clauses.push('s.last_seen_at >= ?');
    params.push(Math.round(now - f.lastSeenWithinDays * DAY));
  }
  if (f.notSeenForDays !== undefined) {
    clauses.push('s.last_seen_at < ?');
    params.push(Math.round(now - f.notSeenForDays * DAY));
  }
  if (f.neverSeen !== undefined) clauses.push(`s.last_seen_at IS ${f.neverSeen ? '' : 'NOT '}NULL`);
  if (f.content) {
    let sub = "SELECT 1 FROM usage_events ue WHERE ue.subscriber_id = s.id AND ue.type = 'content'";
    if (f.content.flowId !== undefined) {
      sub += ' AND ue.flow_id = ?';
      params.push(f.content.flowId);
    }
    if (f.content.nodeId !== undefined) {
      sub += ' AND ue.node_id = ?';
      params.push(f.content.nodeId);
    }
    if (f.content.withinDays !== undefined) {
      sub += ' AND ue.at >= ?';
      params.push(Math.round(now - f.content.withinDays * DAY));
    }
    clauses.push(`${f.content.reached ? '' : 'NOT '}EXISTS (${sub})`);
  }
  if (f.crmFlags !== undefined) {
    const t = tables.crmFlags;
    if (!t) throw new Error('CRM flag filters need the CRM flags table');
    const kinds = list(f.crmFlags);
    clauses.push(`EXISTS (SELECT 1 FROM ${t.table} cf WHERE cf.${t.subscriberColumn} = s.id AND cf.${t.kindColumn} IN (${marks(kinds.length)}) AND ${t.activeCondition})`);
    params.push(...kinds);
  }
  if (f.poll) {
    const answered = f.poll.answered ?? true;
    let sub = 'SELECT 1 FROM poll_answers pa WHERE pa.poll_id = ? AND pa.subscriber_id = s.id';
    params.push(f.poll.pollId);
    if (f.poll.answers && answered) {
      sub += ` AND pa.answer IN (${marks(f.poll.answers.length)})`;
      params.push(...f.poll.answers);
    }
    clauses.push(`${answered ? '' : 'NOT '}EXISTS (${sub})`);
  }
  if (!f.includeOptedOut) clauses.push('s.opted_out = 0');
  return { where: clauses.length > 0 ? clauses.join(' AND ') : '1 = 1', params };
}
