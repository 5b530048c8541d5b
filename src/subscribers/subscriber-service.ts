import type { Tx, UnitOfWork } from '../db/database';
import type { Clock } from '../lib/clock';
import { iso } from '../lib/clock';
import { AppError, badRequest, notFound } from '../lib/errors';
import { normalizeMsisdn } from '../lib/msisdn';
import type { OperatorDirectory } from './operators';
import { COLUMN_FIELDS, ProfileSchema, ProfileValueError, type ProfileValue } from './profile-schema';
import { PROFILE_COLUMNS, type Subscriber, type SubscriberRepo } from './subscriber-repo';

export type { Subscriber };

/**
 * A profile change as the API, CSV import and flows express it: field name to a value (JSON types, or
 * text to be coerced: "1980", "maize;beans"); null clears the field.
 */
export type ProfilePatch = Record<string, unknown>;

/** A patch checked against the schema: typed values, ready to write. */
export interface ValidProfilePatch {
  columns: Partial<Record<(typeof PROFILE_COLUMNS)[number], string | null>>;
  profile: Record<string, ProfileValue | null>;
  /** `crop` (the main crop) is also added to the `crops` list when the schema has one. */
  addCrop: string | null;
}

const MAX_TEXT = 200;
const LAST_SEEN_RESOLUTION_MS = 60_000;

/** Subscribers: created on first contact, profile kept, opt-out flag owned here. */
export class SubscriberService {
  constructor(
    private readonly repo: SubscriberRepo,
    private readonly operators: OperatorDirectory,
    private readonly clock: Clock,
    private readonly countryCode: string,
    /** The configured profile schema (config `profile.fields`). */
    readonly profile: ProfileSchema = new ProfileSchema({ fields: {} }),
    /** Units of work, for the writes this service makes on its own (see {@link saveProfile}). */
    private readonly units?: UnitOfWork,
  ) {}

  /** E.164 form of a raw number, or null. */
  normalize(raw: string): string | null {
    return normalizeMsisdn(raw, this.countryCode);
  }

  /**
   * The subscriber for an E.164 number, created on first contact, inside unit of work `tx`: the row is
   * created once even when two processes hear from the number at the same time. Last-seen moves to `at`
   * unless `touch: false` (sending to someone is not hearing from them).
   */
  async ensureIn(tx: Tx, msisdn: string, opts: { operator?: string | null; at?: number; touch?: boolean } = {}): Promise<Subscriber> {
    const at = opts.at ?? this.clock.now();
    const touch = opts.touch !== false;
    let found = await this.repo.findByMsisdnIn(tx, msisdn);
    if (!found) {
      const created = await this.repo.createIn(tx, msisdn, opts.operator ?? this.operators.forMsisdn(msisdn), at, touch);
      if (created) return created;
      found = (await this.repo.findByMsisdnIn(tx, msisdn))!;
    }
    // Last-seen is kept to the minute: rewriting it on every hop would dirty two more pages per commit.
    if (touch && (found.lastSeenAt === null || at - found.lastSeenAt >= LAST_SEEN_RESOLUTION_MS)) {
      await this.repo.touchLastSeenIn(tx, found.id, at);
      found.lastSeenAt = at;
    }
    if (!found.operator && (opts.operator || this.operators.forMsisdn(msisdn))) {
      const operator = opts.operator ?? this.operators.forMsisdn(msisdn);
      await this.repo.updateIn(tx, found.id, { operator }, at);
      found.operator = operator;
    }
    return found;
  }

  /** The subscriber or null, never created: inside unit of work `tx` when given (it sees the unit's writes). */
  findIn(tx: Tx | undefined, msisdn: string): Promise<Subscriber | null> {
    return this.repo.findByMsisdnIn(tx, msisdn);
  }

  /** The subscribers among `msisdns` (normalised), by number, inside unit of work `tx`: a few queries for a whole batch. */
  findManyIn(tx: Tx, msisdns: readonly string[]): Promise<Map<string, Subscriber>> {
    return this.repo.findManyByMsisdnIn(tx, msisdns);
  }

  /** The subscriber by id or null, on either engine: inside unit of work `tx` when given, else on its own. */
  findByIdIn(tx: Tx | undefined, id: number): Promise<Subscriber | null> {
    return this.repo.findByIdIn(tx, id);
  }

  /** The subscriber for a raw number given by a caller (inside unit of work `tx` when given); 400 if not a number, 404 if unknown. */
  async requireIn(tx: Tx | undefined, raw: string): Promise<Subscriber> {
    const msisdn = this.requiredNumber(raw);
    const s = await this.repo.findByMsisdnIn(tx, msisdn);
    if (!s) throw notFound('SUBSCRIBER_NOT_FOUND', `No subscriber with number ${msisdn}.`);
    return s;
  }

  private requiredNumber(raw: string): string {
    const msisdn = this.normalize(raw);
    if (!msisdn) throw badRequest('INVALID_MSISDN', `"${raw.slice(0, 32)}" is not a phone number (use +2547..., 2547... or 07...).`);
    return msisdn;
  }

  /**
   * Checks a patch against the profile schema without writing: unknown fields and values outside the
   * schema are a 400 naming the field and what it allows.
   */
  validateProfile(patch: ProfilePatch): ValidProfilePatch {
    const out: ValidProfilePatch = { columns: {}, profile: {}, addCrop: null };
    const bad = (field: string, message: string) => badRequest('INVALID_PROFILE_VALUE', message, { field });
    for (const [field, value] of Object.entries(patch)) {
      if (field === 'operator' || field === 'crop') {
        if (value !== null && (typeof value !== 'string' || value.trim() === '' || value.length > MAX_TEXT)) throw bad(field, `${field} must be a text of at most ${MAX_TEXT} characters, or null.`);
        let v = value === null ? null : value.trim();
        if (field === 'crop' && v !== null && this.profile.field('crops')?.type === 'list') {
          const crops = this.profile.field('crops')!;
          const hit = crops.values ? crops.values.find((c) => c.toLowerCase() === v!.toLowerCase()) : v;
          if (hit === undefined) throw bad('crop', `crop: "${v.slice(0, 40)}" is not allowed; crop must be one of ${crops.values!.join(', ')} (the values of crops).`);
          v = hit;
          out.addCrop = v;
        }
        out.columns[field] = v;
        continue;
      }
      const spec = this.profile.field(field);
      const isColumn = (COLUMN_FIELDS as readonly string[]).includes(field);
      if (!spec && !isColumn) {
        throw badRequest('UNKNOWN_PROFILE_FIELD', `${field.slice(0, 40)} is not a profile field (fields: ${[...this.profile.names(), 'crop', 'operator'].join(', ')}).`, { field: field.slice(0, 40) });
      }
      let typed: ProfileValue | null = null;
      if (value !== null) {
        try {
          typed = spec ? this.profile.coerce(field, value) : this.columnText(field, value);
        } catch (e) {
          if (e instanceof ProfileValueError) throw bad(field, e.message);
          throw e;
        }
      }
      if (isColumn) {
        if (Array.isArray(typed) || typeof typed === 'number') throw bad(field, `${field} must be a single text value.`);
        out.columns[field as (typeof COLUMN_FIELDS)[number]] = field === 'language' && typed !== null ? typed.toLowerCase() : typed;
      } else {
        out.profile[field] = typed;
      }
    }
    return out;
  }

  private columnText(field: string, value: unknown): string {
    if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_TEXT) throw new ProfileValueError(field, `${field} must be a text of at most ${MAX_TEXT} characters, or null.`);
    return value.trim();
  }

  /** Writes a checked patch inside unit of work `tx`; resolves with the subscriber as stored. */
  async applyProfileIn(tx: Tx, id: number, p: ValidProfilePatch): Promise<Subscriber> {
    const current = await this.repo.findByIdIn(tx, id);
    if (!current) throw notFound('SUBSCRIBER_NOT_FOUND', `No subscriber with id ${id}.`);
    await this.applyProfileToIn(tx, current, p);
    return (await this.repo.findByIdIn(tx, id))!;
  }

  /**
   * Writes a checked patch over `current`, the subscriber as read or created in unit `tx`, reading nothing
   * before or after (for a CSV import, where each read is one more round trip per line on PostgreSQL):
   * resolves with the subscriber's columns and profile as now stored.
   */
  async applyProfileToIn(tx: Tx, current: Subscriber, p: ValidProfilePatch): Promise<Subscriber> {
    const { changed, profile } = this.mergedProfile(current, p);
    const now = this.clock.now();
    await this.repo.updateIn(tx, current.id, { ...p.columns, ...(changed ? { profile } : {}) }, now);
    return { ...current, ...p.columns, profile, updatedAt: now };
  }

  /**
   * Creates the subscriber if new (not as contact: last-seen stays as it was) and applies a checked patch,
   * in one unit of work; resolves with the subscriber as stored once durable.
   */
  saveProfile(msisdn: string, p: ValidProfilePatch): Promise<Subscriber> {
    if (!this.units) throw new Error('SubscriberService was built without units of work');
    return this.units.unit(async (tx) => {
      const s = await this.ensureIn(tx, msisdn, { at: this.clock.now(), touch: false });
      return this.applyProfileIn(tx, s.id, p);
    });
  }

  /** Stores a value a flow collected, inside unit of work `tx`; returns why it was refused (outside the schema) instead of throwing. */
  async updateProfileFromFlowIn(tx: Tx, id: number, field: string, value: string): Promise<string | null> {
    let valid: ValidProfilePatch;
    try {
      valid = this.validateProfile({ [field]: value });
    } catch (e) {
      if (e instanceof AppError && e.status === 400) return e.message;
      throw e;
    }
    await this.applyProfileIn(tx, id, valid);
    return null;
  }

  /** Sets or clears the opt-out flag (STOP / START) inside unit of work `tx`. */
  async setOptOutIn(tx: Tx, id: number, optedOut: boolean): Promise<void> {
    await this.repo.setOptOutIn(tx, id, optedOut, this.clock.now());
  }

  /** The stored profile with a checked patch laid over it, and whether anything in it changed. */
  private mergedProfile(current: Subscriber, p: ValidProfilePatch): { changed: boolean; profile: Subscriber['profile'] } {
    const profile = { ...current.profile };
    let changed = false;
    for (const [field, value] of Object.entries(p.profile)) {
      changed = true;
      if (value === null) delete profile[field];
      else profile[field] = value;
    }
    if (p.addCrop !== null) {
      const crops = Array.isArray(profile.crops) ? profile.crops : [];
      if (!crops.some((c) => c.toLowerCase() === p.addCrop!.toLowerCase())) {
        profile.crops = [...crops, p.addCrop];
        changed = true;
      }
    }
    return { changed, profile };
  }

  /** The public JSON shape of a subscriber's profile. */
  toJson(s: Subscriber): Record<string, unknown> {
    return {
      msisdn: s.msisdn,
      language: s.language,
      region: s.region,
      crop: s.crop,
      operator: s.operator,
      profile: s.profile,
      optedOut: s.optedOut,
      optedOutAt: iso(s.optedOutAt),
      firstSeenAt: iso(s.firstSeenAt),
      lastSeenAt: iso(s.lastSeenAt),
    };
  }
}
