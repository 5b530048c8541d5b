import type { Clock } from '../lib/clock';
import { iso } from '../lib/clock';
import { badRequest, notFound } from '../lib/errors';
import { normalizeMsisdn } from '../lib/msisdn';
import type { OperatorDirectory } from './operators';
import { PROFILE_COLUMNS, type Subscriber, type SubscriberRepo } from './subscriber-repo';

export type { Subscriber };

/** A profile change as the API and flows express it: any field name to a string value (null clears). */
export type ProfilePatch = Record<string, string | null>;

const FIELD_RE = /^[a-z][a-zA-Z0-9_]{0,31}$/;
const LAST_SEEN_RESOLUTION_MS = 60_000;

/** Subscribers: created on first contact, profile kept, opt-out flag owned here. */
export class SubscriberService {
  constructor(
    private readonly repo: SubscriberRepo,
    private readonly operators: OperatorDirectory,
    private readonly clock: Clock,
    private readonly countryCode: string,
  ) {}

  /** E.164 form of a raw number, or null. */
  normalize(raw: string): string | null {
    return normalizeMsisdn(raw, this.countryCode);
  }

  /**
   * The subscriber for an E.164 number, created on first contact; last-seen moves to `at` unless
   * `touch: false` (sending to someone is not hearing from them).
   */
  ensure(msisdn: string, opts: { operator?: string | null; at?: number; touch?: boolean } = {}): Subscriber {
    const at = opts.at ?? this.clock.now();
    const found = this.repo.findByMsisdn(msisdn);
    if (found) {
      // Last-seen is kept to the minute: rewriting it on every hop would dirty two more pages per commit.
      if (opts.touch !== false && at - found.lastSeenAt >= LAST_SEEN_RESOLUTION_MS) {
        this.repo.touchLastSeen(found.id, at);
        found.lastSeenAt = at;
      }
      if (!found.operator && (opts.operator || this.operators.forMsisdn(msisdn))) {
        const operator = opts.operator ?? this.operators.forMsisdn(msisdn);
        this.repo.update(found.id, { operator }, at);
        found.operator = operator;
      }
      return found;
    }
    return this.repo.create(msisdn, opts.operator ?? this.operators.forMsisdn(msisdn), at);
  }

  /** The subscriber or null; never creates. */
  find(msisdn: string): Subscriber | null {
    return this.repo.findByMsisdn(msisdn);
  }

  /** The subscriber by id or null. */
  findById(id: number): Subscriber | null {
    return this.repo.findById(id);
  }

  /** The subscriber for a raw number given by a caller; 400 if not a number, 404 if unknown. */
  require(raw: string): Subscriber {
    const msisdn = this.normalize(raw);
    if (!msisdn) throw badRequest('INVALID_MSISDN', `"${raw.slice(0, 32)}" is not a phone number (use +2547..., 2547... or 07...).`);
    const s = this.repo.findByMsisdn(msisdn);
    if (!s) throw notFound('SUBSCRIBER_NOT_FOUND', `No subscriber with number ${msisdn}.`);
    return s;
  }

  /** Applies a profile patch (language, region, crop, operator or custom fields); returns the new profile. */
  updateProfile(id: number, patch: ProfilePatch): Subscriber {
    const now = this.clock.now();
    const current = this.repo.findById(id);
    if (!current) throw notFound('SUBSCRIBER_NOT_FOUND', `No subscriber with id ${id}.`);
    const columns: Partial<Record<(typeof PROFILE_COLUMNS)[number], string | null>> = {};
    const profile = { ...current.profile };
    let profileChanged = false;
    for (const [field, value] of Object.entries(patch)) {
      if (!FIELD_RE.test(field)) throw badRequest('INVALID_FIELD', `Profile field "${field.slice(0, 40)}" is not a valid name (letters, digits, _; start with a letter).`);
      if (value !== null && typeof value !== 'string') throw badRequest('INVALID_FIELD', `Profile field "${field}" must be a string or null.`);
      if (typeof value === 'string' && value.length > 200) throw badRequest('INVALID_FIELD', `Profile field "${field}" is longer than 200 characters.`);
      if ((PROFILE_COLUMNS as readonly string[]).includes(field)) {
        columns[field as (typeof PROFILE_COLUMNS)[number]] = value;
      } else {
        profileChanged = true;
        if (value === null) delete profile[field];
        else profile[field] = value;
      }
    }
    if (columns.language != null && !/^[a-z]{2,3}$/.test(columns.language)) {
      throw badRequest('INVALID_LANGUAGE', `Language "${columns.language}" must be a 2- or 3-letter code such as en or sw.`);
    }
    this.repo.update(id, { ...columns, ...(profileChanged ? { profile } : {}) }, now);
    return this.repo.findById(id)!;
  }

  /** Sets or clears the opt-out flag (STOP / START). */
  setOptOut(id: number, optedOut: boolean): void {
    this.repo.setOptOut(id, optedOut, this.clock.now());
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
