import { Value } from '@sinclair/typebox/value';
import type { Tx, UnitOfWork } from '../db/database';
import type { Clock } from '../lib/clock';
import { iso } from '../lib/clock';
import { badRequest, conflict, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import { COLUMN_FIELDS, type ProfileSchema } from '../subscribers/profile-schema';
import { SegmentFilterSchema, SUBSCRIPTION_STATES, type SegmentFilter } from './segment-filter';
import { compileFilter, type FilterTables, type SegmentRepo, type SegmentRow, type SegmentWhere } from './segment-repo';
import type { Within } from './within';

/** A saved segment. */
export interface Segment {
  id: string;
  name: string;
  filter: SegmentFilter;
  createdAt: number;
  updatedAt: number;
}

const PROFILE_FIELD_RE = /^[a-z][a-zA-Z0-9_]{0,31}$/;
const TEXTS = 'must be a text or a list of texts (any of them matches)';
/** What each key takes, for messages a content team can act on. */
const HINTS: Record<string, string> = {
  region: TEXTS,
  crop: TEXTS,
  language: TEXTS,
  operator: TEXTS,
  bestChannel: 'must be one of sms, call, ussd, unknown, or a list of them',
  crmFlags: `${TEXTS}, e.g. "stuck", "passive", "lapsing" or "churned"`,
  tier: 'must be one of core, growth, base, new, or a list of them',
  profile: 'must be an object of profile field to a value or list of values (enum, list, string fields), { "min", "max" } (integer, number) or { "from", "to" } (date, YYYY-MM-DD)',
  ageMin: 'must be a whole number of years from 0 to 150',
  ageMax: 'must be a whole number of years from 0 to 150',
  neverSeen: 'must be true or false',
  subscriptionState: `must be one of ${SUBSCRIPTION_STATES.join(', ')}, or a list of them`,
  service: 'must be a service id',
  lastSeenWithinDays: 'must be a number of days greater than 0',
  notSeenForDays: 'must be a number of days greater than 0',
  content: 'must be { "reached": true|false, "flowId"?, "nodeId"?, "withinDays"? }',
  poll: 'must be { "pollId", "answered"?: true|false, "answers"?: [answer indexes] }',
  includeOptedOut: 'must be true or false',
};

const fromRow = (r: SegmentRow): Segment => ({ ...r, filter: r.filter as SegmentFilter });
const toRow = (s: Segment): SegmentRow => ({ ...s, filter: s.filter as Record<string, unknown> });

/**
 * Segments: saved filters over subscribers, evaluated when used (a count preview now, the recipient
 * list when a campaign run starts), so a segment always means "who matches at that moment".
 */
export class SegmentService {
  constructor(
    private readonly d: {
      repo: SegmentRepo;
      /** Units of work: the group commit on SQLite, transactions on PostgreSQL. */
      units: UnitOfWork;
      clock: Clock;
      tables: () => FilterTables;
      /** Whether a poll exists (a filter on its answers needs it), read on either engine. */
      pollExists: (id: string) => Promise<boolean>;
      /** Configured service ids (config `services`). */
      serviceIds: () => string[];
      /** Campaigns still to run on a segment (deleting it would strand them). */
      usedBy: (segmentId: string, tx: Tx) => Promise<string[]>;
      /** The configured profile schema: what `profile` and `ageMin`/`ageMax` may filter. */
      profile: Pick<ProfileSchema, 'field' | 'names' | 'allowed'>;
    },
  ) {}

  /** Checks a filter beyond its schema (known poll, a CRM table to read) and returns it typed; 400 otherwise. */
  async validate(raw: unknown): Promise<SegmentFilter> {
    const first = Value.Errors(SegmentFilterSchema, raw).First();
    if (first) {
      const at = first.path.replace(/^\//, '').replace(/\//g, '.');
      const top = at.split('.')[0] ?? '';
      const known = Object.keys(SegmentFilterSchema.properties);
      const what = !known.includes(top)
        ? this.d.profile.field(top)
          ? `is a profile field: filter it as filter.profile.${top}`
          : `is not a filter key (known keys: ${known.join(', ')})`
        : (HINTS[top] ?? first.message.replace(/^Expected/, 'must be'));
      throw badRequest('INVALID_FILTER', `filter${at ? `.${at}` : ''} ${first.path === '' ? `must be an object (known keys: ${known.join(', ')})` : what}.`);
    }
    const f = raw as SegmentFilter;
    for (const [field, v] of Object.entries(f.profile ?? {})) this.checkProfileFilter(field, v);
    if (f.ageMin !== undefined || f.ageMax !== undefined) {
      if (this.d.profile.field('birthYear')?.type !== 'integer') throw badRequest('INVALID_FILTER', 'filter.ageMin/ageMax: ages come from the birthYear profile field, which is not configured as an integer.');
      if (f.ageMin !== undefined && f.ageMax !== undefined && f.ageMin > f.ageMax) throw badRequest('INVALID_FILTER', 'filter.ageMin must not be above filter.ageMax.');
    }
    if (f.poll) {
      if (!(await this.d.pollExists(f.poll.pollId))) throw badRequest('INVALID_FILTER', `filter.poll.pollId: no poll with id ${f.poll.pollId}.`);
      if (f.poll.answers && f.poll.answered === false) throw badRequest('INVALID_FILTER', 'filter.poll: answers need answered true (or leave answered out).');
    }
    if (f.service !== undefined && !this.d.serviceIds().includes(f.service)) {
      throw badRequest('INVALID_FILTER', `filter.service: no service "${f.service.slice(0, 64)}" (configured: ${this.d.serviceIds().join(', ') || 'none'}).`);
    }
    if (f.crmFlags !== undefined && !this.d.tables().crmFlags) throw badRequest('INVALID_FILTER', 'filter.crmFlags: CRM flags are not available in this gateway.');
    if (f.lastSeenWithinDays !== undefined && f.notSeenForDays !== undefined && f.notSeenForDays >= f.lastSeenWithinDays) {
      throw badRequest('INVALID_FILTER', 'filter: notSeenForDays must be less than lastSeenWithinDays, or nobody can match both.');
    }
    return f;
  }

  private checkProfileFilter(field: string, v: SegmentFilter['profile'] extends Record<string, infer V> | undefined ? V : never): void {
    const bad = (msg: string) => badRequest('INVALID_FILTER', `filter.profile.${field.slice(0, 40)} ${msg}.`, { field: field.slice(0, 40) });
    if (!PROFILE_FIELD_RE.test(field)) throw bad('is not a profile field name (letters, digits, _; start with a lower-case letter)');
    const spec = this.d.profile.field(field);
    const isColumn = (COLUMN_FIELDS as readonly string[]).includes(field);
    if (!spec && !isColumn) throw bad(`is not a profile field (fields: ${this.d.profile.names().join(', ')})`);
    const type = spec?.type ?? 'string';
    const isRange = typeof v === 'object' && !Array.isArray(v);
    if (type === 'integer' || type === 'number') {
      if (!isRange || !('min' in v || 'max' in v)) throw bad(`is ${type === 'integer' ? 'a whole number' : 'a number'}: filter it with { "min", "max" }`);
      const r = v as { min?: number; max?: number };
      if (r.min !== undefined && r.max !== undefined && r.min > r.max) throw bad('has min above max');
      return;
    }
    if (type === 'date') {
      if (!isRange || !('from' in v || 'to' in v)) throw bad('is a date: filter it with { "from", "to" } (YYYY-MM-DD)');
      const r = v as { from?: string; to?: string };
      for (const d of [r.from, r.to]) if (d !== undefined && Number.isNaN(Date.parse(`${d}T00:00:00Z`))) throw bad(`has "${d}", which is not a date`);
      if (r.from !== undefined && r.to !== undefined && r.from > r.to) throw bad('has from after to');
      return;
    }
    if (isRange) throw bad(`is ${type === 'list' ? 'a list' : type === 'enum' ? 'an enum' : 'a text'} field: give a value or a list of values`);
    const values = spec?.values;
    if (values) {
      const wrong = (Array.isArray(v) ? v : [v as string]).find((x) => !values.some((a) => a.toLowerCase() === x.toLowerCase()));
      if (wrong !== undefined) throw badRequest('INVALID_FILTER', `filter.profile.${field}: "${wrong.slice(0, 40)}" is not allowed; ${field} must be ${this.d.profile.allowed(spec!)}.`, { field });
    }
  }

  /** The filter compiled as of now (or `at`), for the repositories that select by it, in the database's SQL. */
  compile(filter: SegmentFilter, at = this.d.clock.now()): SegmentWhere {
    return compileFilter(filter, at, this.d.tables(), { dialect: this.d.repo.dialect, schema: this.d.profile });
  }

  /** How many subscribers match the filter now. */
  count(filter: SegmentFilter): Promise<number> {
    return this.d.repo.count(this.compile(filter));
  }

  /** A few matching numbers, to check a filter by eye before sending. */
  sample(filter: SegmentFilter, limit = 5): Promise<string[]> {
    return this.d.repo.sample(this.compile(filter), limit);
  }

  /** Saves a segment, with whatever `within` writes in the same unit; resolves once it is durable. */
  async create(name: string, rawFilter: unknown, within?: Within<Segment>): Promise<Segment> {
    const filter = await this.validate(rawFilter);
    const now = this.d.clock.now();
    const s: Segment = { id: newId('seg', now), name, filter, createdAt: now, updatedAt: now };
    return this.d.units.unit(async (tx) => {
      await this.d.repo.insert(toRow(s), tx);
      await within?.(tx, s);
      return s;
    });
  }

  /** Renames or refilters a segment (later runs of campaigns on it use the new filter); `within` writes in the same unit. */
  async update(id: string, patch: { name?: string; filter?: unknown }, within?: Within<Segment>): Promise<Segment> {
    const filter = patch.filter !== undefined ? await this.validate(patch.filter) : undefined;
    return this.d.units.unit(async (tx) => {
      const s = await this.requireIn(id, tx);
      const next: Segment = { ...s, name: patch.name ?? s.name, filter: filter ?? s.filter, updatedAt: this.d.clock.now() };
      await this.d.repo.update(toRow(next), tx);
      await within?.(tx, next);
      return next;
    });
  }

  /** Deletes a segment no campaign still needs; `within` writes in the same unit. */
  remove(id: string, within?: Within<Segment>): Promise<void> {
    return this.d.units.unit(async (tx) => {
      const s = await this.requireIn(id, tx);
      const users = await this.d.usedBy(id, tx);
      if (users.length > 0) throw conflict('SEGMENT_IN_USE', `Segment ${id} is used by campaign ${users.slice(0, 5).join(', ')} that can still run; cancel it first.`);
      await this.d.repo.remove(id, tx);
      await within?.(tx, s);
    });
  }

  /** The segment or null. */
  async find(id: string): Promise<Segment | null> {
    const r = await this.d.repo.find(id);
    return r ? fromRow(r) : null;
  }

  /** The segment; 404 otherwise. */
  async require(id: string): Promise<Segment> {
    const s = await this.find(id);
    if (!s) throw notFound('SEGMENT_NOT_FOUND', `No segment with id ${id}.`);
    return s;
  }

  /** Segments, newest first. */
  async list(limit = 100): Promise<Segment[]> {
    return (await this.d.repo.list(limit)).map(fromRow);
  }

  /** The segment as unit `tx` sees it (check-then-act); 404 otherwise. */
  async requireIn(id: string, tx: Tx): Promise<Segment> {
    const r = await this.d.repo.find(id, tx);
    if (!r) throw notFound('SEGMENT_NOT_FOUND', `No segment with id ${id}.`);
    return fromRow(r);
  }

  /** The public JSON shape (with a fresh count when asked). */
  toJson(s: Segment, count?: number): Record<string, unknown> {
    return { id: s.id, name: s.name, filter: s.filter, ...(count !== undefined ? { count } : {}), createdAt: iso(s.createdAt), updatedAt: iso(s.updatedAt) };
  }
}
