import type { Database, UnitOfWork } from '../db/database';
import { maskMsisdn } from '../lib/msisdn';
import type { ProfileSchema, ProfileValue } from './profile-schema';
import { SubscriberRepo } from './subscriber-repo';

/** A stored value the configured schema no longer accepts. */
export interface ProfileViolation {
  subscriberId: number;
  /** Masked: the report may be pasted into a ticket. */
  msisdn: string;
  field: string;
  value: unknown;
  reason: string;
}

/** What a check of stored profiles found and did. */
export interface ProfileCheckResult {
  checked: number;
  violations: ProfileViolation[];
  /** Subscribers whose violations were not all listed (the list is capped). */
  violationsTruncated: boolean;
  violatingSubscribers: number;
  /** Rows whose values were stored as text and now carry their type ("1980" -> 1980). */
  typed: number;
}

const MAX_LISTED = 1000;
const PAGE = 5000;

/**
 * Checks every stored profile against the configured schema (`vasgw migrate`). A subscriber with any
 * value the schema refuses is listed and left exactly as it is; a subscriber whose values only need their
 * type (text from before the schema: "1980", "maize;beans") is rewritten typed.
 */
export async function checkStoredProfiles(database: Database, units: UnitOfWork, schema: ProfileSchema): Promise<ProfileCheckResult> {
  const repo = new SubscriberRepo(database);
  const out: ProfileCheckResult = { checked: 0, violations: [], violationsTruncated: false, violatingSubscribers: 0, typed: 0 };
  const crops = schema.field('crops');
  let last = 0;
  for (;;) {
    const rows = await repo.storedProfiles(last, PAGE);
    if (rows.length === 0) break;
    last = rows[rows.length - 1]!.id;
    const fixes: Array<{ id: number; profile: Record<string, ProfileValue> }> = [];
    for (const r of rows) {
      out.checked++;
      const found: Omit<ProfileViolation, 'subscriberId' | 'msisdn'>[] = [];
      let profile: Record<string, unknown>;
      try {
        profile = JSON.parse(r.profile) as Record<string, unknown>;
        if (typeof profile !== 'object' || profile === null || Array.isArray(profile)) throw new Error('not an object');
      } catch {
        found.push({ field: 'profile', value: r.profile.slice(0, 60), reason: 'is not a JSON object' });
        profile = {};
      }
      const typed: Record<string, ProfileValue> = {};
      for (const [field, value] of Object.entries(profile)) {
        const why = schema.violation(field, value);
        if (why) found.push({ field, value, reason: why });
        else typed[field] = schema.coerce(field, value);
      }
      for (const field of ['language', 'region'] as const) {
        const v = r[field];
        if (v === null || !schema.field(field)) continue;
        const why = schema.violation(field, v);
        if (why) found.push({ field, value: v, reason: why });
      }
      if (r.crop !== null && crops?.values && !crops.values.some((x) => x.toLowerCase() === r.crop!.toLowerCase())) {
        found.push({ field: 'crop', value: r.crop, reason: `must be one of ${crops.values.join(', ')} (the values of crops)` });
      }
      if (found.length > 0) {
        out.violatingSubscribers++;
        for (const f of found) {
          if (out.violations.length < MAX_LISTED) out.violations.push({ subscriberId: r.id, msisdn: maskMsisdn(r.msisdn), ...f });
          else out.violationsTruncated = true;
        }
        continue;
      }
      if (JSON.stringify(typed) !== JSON.stringify(profile)) fixes.push({ id: r.id, profile: typed });
    }
    if (fixes.length > 0) {
      await units.unit((tx) => repo.rewriteProfilesIn(tx, fixes));
      out.typed += fixes.length;
    }
  }
  return out;
}
